import { createHash } from 'node:crypto';
import { DynamoLedger } from '../../../shared/aws/DynamoLedger.ts';
import { Route53Dns } from '../../../shared/aws/Route53Dns.ts';
import type { ApplicationConfig, LifeboatConfig } from '../../../shared/config/LifeboatConfig.ts';
import { currentPrimary } from '../../../shared/failover/currentPrimary.ts';
import type { Ledger, RunKind } from '../../../shared/ports/Ledger.ts';
import { lambdaEstate } from '../../../shared/runtime/lambdaEstate.ts';
import { UsageError } from '../args.ts';
import type { AwsClients } from './AwsClients.ts';

/** The ledger table's replica in one region. */
export function ledgerIn(clients: AwsClients, config: LifeboatConfig, region: string): Ledger {
  return new DynamoLedger(clients.dynamodb(region), config.ledger.tableName);
}

/** The regions to read the ledger from, preferred first: the global table has a replica in each. */
export function ledgerRegions(config: LifeboatConfig, preferred: string | undefined): string[] {
  return [...new Set([...(preferred === undefined ? [] : [preferred]), ...config.controlPlaneRegions])];
}

/**
 * The first answer of `read` over the regions in order: during a regional outage the ledger is still
 * read from another replica. Throws the last region's error, with every region's, when none answers.
 */
export async function fromFirstAnswering<T>(
  regions: readonly string[],
  read: (region: string) => Promise<T>,
): Promise<{ region: string; value: T }> {
  const failures: string[] = [];
  let last: unknown;
  for (const region of regions) {
    try {
      return { region, value: await read(region) };
    } catch (error) {
      last = error;
      const e = error as { name?: string; message?: string };
      failures.push(`${region}: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`);
    }
  }
  throw Object.assign(new Error(`no region answered (${failures.join('; ')})`), {
    name: (last as { name?: string } | undefined)?.name ?? 'Error',
  });
}

/**
 * The region serving the application now, as the workflows' first step works it out: the heaviest
 * weighted record, else the last failover or failback in the ledger, else the configured primary.
 */
export async function servingRegion(
  clients: AwsClients,
  config: LifeboatConfig,
  app: ApplicationConfig,
  ledger: Ledger,
): Promise<string> {
  const dns = new Route53Dns(clients.route53(), {});
  return currentPrimary(app, lambdaEstate('lifeboat start', { dns }), ledger);
}

/** The region a workflow must be started in, checked to run a control plane. */
export function controlPlaneRegion(config: LifeboatConfig, region: string, flag: string): string {
  if (!config.controlPlaneRegions.includes(region)) {
    throw new UsageError(
      `${flag}: ${region} runs no Lifeboat control plane; name one of ${config.controlPlaneRegions.join(', ')} (controlPlaneRegions in the config)`,
    );
  }
  return region;
}

/** Step Functions execution names: 1 to 80 of letters, digits, `-` and `_`. */
const MAX_EXECUTION_NAME = 80;

/**
 * The execution name of a CLI start: the same while the run it started has not been recorded in
 * the ledger, so a repeated command finds that run instead of starting a second; a new one once the
 * ledger holds a newer run of the kind (every run, however it ends, is recorded).
 */
export function cliExecutionName(parts: {
  readonly workflow: RunKind;
  readonly application: string;
  readonly region: string;
  readonly dryRun: boolean;
  /** `startedAt` of the application's newest run of this kind in the ledger, if any. */
  readonly lastRunStartedAt: string | undefined;
}): string {
  const generation =
    parts.lastRunStartedAt === undefined ? '0' : Date.parse(parts.lastRunStartedAt).toString(36);
  const subject = `${parts.application}-${parts.region}`;
  const name = (s: string) => `cli-${parts.workflow}-${s}${parts.dryRun ? '-dry' : ''}-${generation}`;
  const full = name(subject);
  if (full.length <= MAX_EXECUTION_NAME && /^[A-Za-z0-9_-]+$/.test(full)) return full;
  return name(createHash('sha256').update(subject).digest('hex').slice(0, 16));
}
