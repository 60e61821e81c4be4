import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type Change,
  type ListResourceRecordSetsCommandInput,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { DnsPort } from '../ports/Estate.ts';

/** Route 53 rejects a change batch comment longer than this. */
const MAX_COMMENT_LENGTH = 256;

/** The most a weighted record's Weight can be. */
const MAX_WEIGHT = 255;

/**
 * Route 53 answers with names fully qualified (trailing dot) and escapes characters other than
 * letters, digits, `-` and `_` as `\ooo` octal, so a wildcard comes back as `\052`. Names are
 * case-insensitive.
 */
function normaliseRecordName(name: string): string {
  const unescaped = name.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
  const lower = unescaped.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/**
 * The application's weighted records and health checks in Route 53.
 *
 * `healthCheckIds` maps application name → region → health check id: the checks the deployed stack
 * created, or the `existingHealthCheckId` an application's config names. Every UPSERT attaches the
 * region's check, so the record set is always written whole, exactly as the config describes it.
 * `recordHealthCheckIds`, when given, are the checks the records carry instead (the calculated
 * checks that also hold the fences); `healthCheckIds` stay the ones whose status is read.
 */
export class Route53Dns implements DnsPort {
  readonly #client: Route53Client;
  readonly #healthCheckIds: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly #recordHealthCheckIds: Readonly<Record<string, Readonly<Record<string, string>>>>;

  constructor(
    client: Route53Client,
    healthCheckIds: Readonly<Record<string, Readonly<Record<string, string>>>>,
    recordHealthCheckIds: Readonly<Record<string, Readonly<Record<string, string>>>> = {},
  ) {
    this.#client = client;
    this.#healthCheckIds = healthCheckIds;
    this.#recordHealthCheckIds = recordHealthCheckIds;
  }

  async getWeights(app: ApplicationConfig): Promise<Record<string, number>> {
    const { hostedZoneId, recordName, recordType, records } = app.dns;
    const wantedName = normaliseRecordName(recordName);
    const weightsBySetIdentifier = new Map<string, number | undefined>();

    let input: ListResourceRecordSetsCommandInput = {
      HostedZoneId: hostedZoneId,
      StartRecordName: recordName,
      StartRecordType: recordType,
    };
    for (;;) {
      const page = await this.#client.send(new ListResourceRecordSetsCommand(input));
      let passedOurRecords = false;
      for (const set of page.ResourceRecordSets ?? []) {
        // The listing is sorted by name then type, so the first other record ends ours.
        if (normaliseRecordName(set.Name ?? '') !== wantedName || set.Type !== recordType) {
          passedOurRecords = true;
          break;
        }
        if (set.SetIdentifier !== undefined) weightsBySetIdentifier.set(set.SetIdentifier, set.Weight);
      }
      if (passedOurRecords || page.IsTruncated !== true) break;
      if (
        page.NextRecordName === undefined ||
        normaliseRecordName(page.NextRecordName) !== wantedName ||
        page.NextRecordType !== recordType
      ) {
        break;
      }
      input = {
        HostedZoneId: hostedZoneId,
        StartRecordName: page.NextRecordName,
        StartRecordType: page.NextRecordType,
        ...(page.NextRecordIdentifier === undefined
          ? {}
          : { StartRecordIdentifier: page.NextRecordIdentifier }),
      };
    }

    const weights: Record<string, number> = {};
    for (const [region, record] of Object.entries(records)) {
      if (!weightsBySetIdentifier.has(record.setIdentifier)) {
        throw new Error(
          `Route 53 zone ${hostedZoneId} has no ${recordType} record ${recordName} with set identifier ${record.setIdentifier} (${app.name} in ${region})`,
        );
      }
      const weight = weightsBySetIdentifier.get(record.setIdentifier);
      if (weight === undefined) {
        throw new Error(
          `Route 53 ${recordType} record ${recordName} with set identifier ${record.setIdentifier} (${app.name} in ${region}) is not a weighted record`,
        );
      }
      weights[region] = weight;
    }
    return weights;
  }

  /**
   * `options.force` is not part of the request: Route 53 applies a forced weight like any other, and
   * the caller records that it was forced. `options.by` names the run in the change's comment.
   */
  async setWeights(
    app: ApplicationConfig,
    weights: Readonly<Record<string, number>>,
    options: { readonly force: boolean; readonly by: string },
  ): Promise<string> {
    const entries = Object.entries(weights);
    if (entries.length === 0) {
      throw new Error(`No weights given for ${app.name}; name at least one region`);
    }
    // Validate every entry before building any change, so a bad one sends nothing.
    for (const [region, weight] of entries) {
      if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
        throw new Error(
          `Weight ${weight} for ${app.name} in ${region} is not an integer from 0 to ${MAX_WEIGHT}`,
        );
      }
      if (!Object.hasOwn(app.dns.records, region)) {
        throw new Error(`${app.name} has no DNS record configured for ${region}`);
      }
      this.#healthCheckId(app, region);
    }

    const changes: Change[] = entries.map(([region, weight]) => ({
      Action: 'UPSERT',
      ResourceRecordSet: this.#recordSet(app, region, weight),
    }));
    const comment = `Lifeboat ${options.by}: ${entries.map(([region, weight]) => `${region}=${weight}`).join(', ')}`;
    const output = await this.#client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: app.dns.hostedZoneId,
        ChangeBatch: { Comment: truncateComment(comment), Changes: changes },
      }),
    );
    const id = output.ChangeInfo?.Id;
    if (id === undefined) throw new Error(`Route 53 returned no change id for ${app.name}`);
    return id.replace(/^\/change\//, '');
  }

  async getChangeStatus(changeId: string): Promise<'PENDING' | 'INSYNC'> {
    const output = await this.#client.send(new GetChangeCommand({ Id: changeId }));
    const status = output.ChangeInfo?.Status;
    if (status !== 'PENDING' && status !== 'INSYNC') {
      throw new Error(`Route 53 returned status ${String(status)} for change ${changeId}`);
    }
    return status;
  }

  #healthCheckId(app: ApplicationConfig, region: string): string {
    const id = this.#healthCheckIds[app.name]?.[region];
    if (id === undefined) {
      throw new Error(`No Route 53 health check id for ${app.name} in ${region}`);
    }
    return id;
  }

  #recordSet(app: ApplicationConfig, region: string, weight: number): ResourceRecordSet {
    const { recordName, recordType, ttlSeconds, records } = app.dns;
    const record = records[region];
    if (record === undefined) throw new Error(`${app.name} has no DNS record configured for ${region}`);
    const common = {
      Name: recordName,
      Type: recordType,
      SetIdentifier: record.setIdentifier,
      Weight: weight,
      HealthCheckId: this.#recordHealthCheckIds[app.name]?.[region] ?? this.#healthCheckId(app, region),
    };
    if (record.aliasTarget !== undefined) {
      return {
        ...common,
        AliasTarget: {
          HostedZoneId: record.aliasTarget.hostedZoneId,
          DNSName: record.aliasTarget.dnsName,
          // The attached health check decides the record's health, not the alias target's.
          EvaluateTargetHealth: false,
        },
      };
    }
    if (record.value === undefined) {
      throw new Error(`${app.name} DNS record for ${region} has neither aliasTarget nor value`);
    }
    return { ...common, TTL: ttlSeconds, ResourceRecords: [{ Value: record.value }] };
  }
}

function truncateComment(comment: string): string {
  return comment.length <= MAX_COMMENT_LENGTH ? comment : `${comment.slice(0, MAX_COMMENT_LENGTH - 3)}...`;
}
