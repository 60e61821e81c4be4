import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../infra/projectRoot.ts';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import type { Report } from '../../local/report/Report.ts';
import { parseScenario } from '../../local/scenario/Scenario.ts';
import { simulate } from '../../local/simulate/Simulation.ts';
import { localRuntime } from '../../local/simulate/localRuntime.ts';
import { DEFAULT_LATENCY, LATENCY_RANGES } from '../../local/world/LatencyModel.ts';
import { ratio, round } from '../lib/stats.ts';
import { clientRtoSeconds, rtoFloor, type RtoFloor } from './floor.ts';

export const BENCH_STATEMACHINES = fileURLToPath(new URL('../statemachines/', import.meta.url));
export const FLOOR_LIMIT = 1.05;
export const SEQUENTIAL_LIMIT = 0.6;

type ConfigDocument = Record<string, unknown> & { applications: Record<string, unknown>[] };

export interface RtoFigure {
  readonly application: string;
  readonly engine: string;
  readonly floor: RtoFloor;
  /** The report's RTO: the application serves again, plus the whole TTL. */
  readonly lifeboatReportSeconds: number;
  /** The same run counted as the floor counts: the TTL only where not overlapped. */
  readonly lifeboatSeconds: number;
  /** Lifeboat with the application's first two regions swapped (primary outside us-east-1). */
  readonly lifeboatMirrorSeconds: number;
  /** The sequential runbook on the same swapped config and outage. */
  readonly sequentialSeconds: number;
  readonly lifeboatToFloor: number;
  readonly lifeboatToSequential: number;
}

/** A workflow the scenario format cannot name, started by the runner at a virtual time. */
interface BenchStart {
  readonly at: number;
  readonly workflow: string;
  readonly input: Record<string, unknown>;
  readonly statemachinesDir: string;
}

async function run(
  doc: ConfigDocument,
  name: string,
  events: readonly Record<string, unknown>[],
  start?: BenchStart,
  latency: Readonly<Record<string, number>> = {},
): Promise<Report> {
  const dir = join(PROJECT_ROOT, '.bench', 'rto');
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, `${name}.config.json`);
  writeFileSync(configFile, JSON.stringify(doc));
  const scenario = parseScenario({ name, config: configFile, until: 3600, events, latency }, name, {
    baseDir: dir,
    cwd: PROJECT_ROOT,
  });
  const runtime = localRuntime();
  return simulate({
    scenario,
    ...runtime,
    ...(start === undefined
      ? {}
      : {
          statemachinesDir: start.statemachinesDir,
          setup: async (context) => {
            await runtime.setup?.(context);
            context.clock.schedule(start.at, () => {
              context.runner().start(start.workflow, start.input, `${start.workflow}-${name}`);
            });
          },
        }),
  });
}

function recovered(report: Report, app: string): { outageAt: number; restoredAt: number; rto: number } {
  const a = report.applications[app];
  if (a?.outageAt == null || a.restoredAt == null || a.rtoSeconds == null) {
    throw new Error(`${app} did not recover in ${report.scenario}: ${JSON.stringify(a)}`);
  }
  return { outageAt: a.outageAt, restoredAt: a.restoredAt, rto: a.rtoSeconds };
}

/**
 * The example config with the measured application's first two regions swapped, so that its
 * primary is not us-east-1: in an outage of us-east-1, Route 53's API is down and the runbook's
 * "move DNS" waits for the region to return, which would measure the outage, not the runbook.
 */
export function mirrored(doc: ConfigDocument, application: string): ConfigDocument {
  const out = structuredClone(doc);
  for (const a of out.applications) {
    if (a.name !== application) continue;
    const regions = [...(a.regions as string[])];
    const [first, second] = regions;
    if (first === undefined || second === undefined) continue;
    regions[0] = second;
    regions[1] = first;
    a.regions = regions;
    const backup = a.backup as { copyToRegion?: string; copyKmsKeyId?: string } | undefined;
    if (backup?.copyToRegion === second) {
      backup.copyToRegion = first;
      // A key ARN names its region: the copies' key moves with them.
      if (backup.copyKmsKeyId?.startsWith(`arn:aws:kms:${second}:`) === true)
        backup.copyKmsKeyId = backup.copyKmsKeyId.replace(`:${second}:`, `:${first}:`);
    }
  }
  return out;
}

/**
 * One application's primary fails (a region outage of us-east-1, its primary, at 0 s): Lifeboat's
 * automatic failover against the floor, and the sequential runbook started once the outage is
 * confirmed (detection plus the confirmation window), so that only the order of the steps differs.
 */
export async function measureRto(
  exampleConfig: ConfigDocument,
  app: ApplicationConfig,
  target: string,
): Promise<RtoFigure> {
  const primary = app.regions[0] ?? '';
  const withAutomation = (automatic: boolean, base: ConfigDocument = exampleConfig): ConfigDocument => {
    const doc = structuredClone(base);
    for (const a of doc.applications) {
      const automation = a.automation as Record<string, unknown>;
      // Only the measured application acts, so the other's run does not share the world's APIs.
      automation.automaticFailover = a.name === app.name ? automatic : false;
    }
    return doc;
  };
  const floor = rtoFloor(
    { ...app, automation: { ...app.automation, automaticFailover: true } },
    target,
    DEFAULT_LATENCY,
  );
  const outage = { at: 0, fault: 'region-outage', region: primary };

  const lifeboat = await run(withAutomation(true), `rto-lifeboat-${app.name}`, [outage]);
  const l = recovered(lifeboat, app.name);
  const lifeboatSeconds = clientRtoSeconds(
    l.outageAt,
    l.restoredAt,
    app.dns.ttlSeconds,
    lifeboat.dns,
    app.name,
  );

  // Lifeboat and the runbook again, with the primary outside us-east-1 (see `mirrored`).
  const mirror = mirrored(exampleConfig, app.name);
  const [mirrorPrimary, mirrorTarget] = [app.regions[1] ?? '', app.regions[0] ?? ''];
  const mirrorOutage = { at: 0, fault: 'region-outage', region: mirrorPrimary };
  const withMirror = (automatic: boolean): ConfigDocument => withAutomation(automatic, mirror);
  const lifeboatMirror = await run(withMirror(true), `rto-lifeboat-mirror-${app.name}`, [mirrorOutage]);
  const lm = recovered(lifeboatMirror, app.name);
  const lifeboatMirrorSeconds = clientRtoSeconds(
    lm.outageAt,
    lm.restoredAt,
    app.dns.ttlSeconds,
    lifeboatMirror.dns,
    app.name,
  );

  const confirmedAt = floor.detectionSeconds + floor.confirmationSeconds;
  const sequential = await run(withMirror(false), `rto-sequential-${app.name}`, [mirrorOutage], {
    at: confirmedAt,
    workflow: 'sequential-runbook',
    input: { application: app.name, targetRegion: mirrorTarget, reason: 'runbook' },
    statemachinesDir: BENCH_STATEMACHINES,
  });
  const s = recovered(sequential, app.name);
  const sequentialSeconds = clientRtoSeconds(
    s.outageAt,
    s.restoredAt,
    app.dns.ttlSeconds,
    sequential.dns,
    app.name,
  );

  return {
    application: app.name,
    engine: app.database.engine,
    floor,
    lifeboatReportSeconds: round(l.rto, 1),
    lifeboatSeconds: round(lifeboatSeconds, 1),
    lifeboatMirrorSeconds: round(lifeboatMirrorSeconds, 1),
    sequentialSeconds: round(sequentialSeconds, 1),
    lifeboatToFloor: round(ratio(lifeboatSeconds, floor.floorSeconds), 3),
    lifeboatToSequential: round(ratio(lifeboatMirrorSeconds, sequentialSeconds), 3),
  };
}

/** One latency's span (LATENCY_RANGES) and the client-seen RTO of the default outage at each end. */
export interface SensitivityFigure {
  readonly key: string;
  readonly defaultValue: number;
  readonly low: number;
  readonly high: number;
  readonly rtoAtLow: number;
  readonly rtoAtDefault: number;
  readonly rtoAtHigh: number;
  readonly source: string;
}

/**
 * The RTO's sensitivity to each latency AWS gives only as a range: the application's automatic
 * failover from its primary (us-east-1 down at 0 s), with one latency at its low and at its high
 * end and the others at their defaults.
 */
export async function measureSensitivity(
  exampleConfig: ConfigDocument,
  app: ApplicationConfig,
): Promise<SensitivityFigure[]> {
  const doc = structuredClone(exampleConfig);
  for (const a of doc.applications) {
    (a.automation as Record<string, unknown>).automaticFailover = a.name === app.name;
  }
  const outage = [{ at: 0, fault: 'region-outage', region: app.regions[0] ?? '' }];
  const rto = async (name: string, latency: Readonly<Record<string, number>>): Promise<number> => {
    const report = await run(doc, name, outage, undefined, latency);
    const r = recovered(report, app.name);
    return round(clientRtoSeconds(r.outageAt, r.restoredAt, app.dns.ttlSeconds, report.dns, app.name), 1);
  };
  const rtoAtDefault = await rto(`sensitivity-${app.name}-default`, {});
  const figures: SensitivityFigure[] = [];
  for (const range of LATENCY_RANGES.filter((r) => r.path === 'failover')) {
    const slug = range.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    figures.push({
      key: range.key,
      defaultValue: DEFAULT_LATENCY[range.key],
      low: range.low,
      high: range.high,
      rtoAtLow: await rto(`sensitivity-${app.name}-${slug}-low`, { [range.key]: range.low }),
      rtoAtDefault,
      rtoAtHigh: await rto(`sensitivity-${app.name}-${slug}-high`, { [range.key]: range.high }),
      source: range.source,
    });
  }
  return figures;
}
