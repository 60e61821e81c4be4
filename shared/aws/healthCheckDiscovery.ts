import {
  ListHealthChecksCommand,
  ListTagsForResourcesCommand,
  type ListHealthChecksCommandInput,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import type { DnsPort } from '../ports/Estate.ts';
import { Route53Dns } from './Route53Dns.ts';

/** Health check id by application name, then region: what `Route53Dns` attaches to each record. */
export type HealthCheckIds = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The tags the detection stack puts on every health check it creates. */
export const APPLICATION_TAG = 'lifeboat:application';
export const REGION_TAG = 'lifeboat:region';
/**
 * What a check is for: `endpoint` (status is read), `endpoint-copy` (a second check on the same
 * endpoint, a child of the record's check), `record` (the weighted record carries it), `fence`.
 */
export const ROLE_TAG = 'lifeboat:role';
export type HealthCheckRole = 'endpoint' | 'endpoint-copy' | 'record' | 'fence';

/** Route 53 returns at most this many health checks per page. */
const PAGE_SIZE = 1000;
/** ListTagsForResources takes at most this many ids per call. */
const TAGS_BATCH = 10;

/** The endpoint checks (status) and the record checks (what the weighted records carry). */
export type HealthCheckSet = Pick<DiscoveredHealthChecks, 'ids' | 'recordIds'>;

export interface DiscoveredHealthChecks {
  /** The endpoint checks, whose status is read. */
  readonly ids: HealthCheckIds;
  /** The checks the weighted records carry (the calculated checks with the fences), where found. */
  readonly recordIds: HealthCheckIds;
  /** `application/region` of every check that was looked for and not found. */
  readonly missing: readonly string[];
}

function normaliseHost(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * The health check id of every application region: an `existingHealthCheckId` as the config gives
 * it, and each check the detection stack created (which lives in another region's stack, so its id
 * cannot be passed in) found by its tags. Only checks of a configured endpoint have their tags
 * read: Route 53 allows five API calls a second per account, and the failover's own record change
 * must not queue behind a tag scan of every check in the account.
 *
 * Throws when two checks carry the tags of the same application region: which one guards the
 * record would be a guess.
 */
export async function discoverHealthCheckIds(
  client: Route53Client,
  config: Pick<LifeboatConfig, 'applications'>,
): Promise<DiscoveredHealthChecks> {
  const ids: Record<string, Record<string, string>> = {};
  const recordIds: Record<string, Record<string, string>> = {};
  const wanted = new Map<string, { application: string; region: string }>();
  const endpoints = new Set<string>();
  for (const app of config.applications) {
    for (const [region, check] of Object.entries(app.healthChecks)) {
      if (check.kind === 'existing') {
        (ids[app.name] ??= {})[region] = check.healthCheckId;
      } else {
        wanted.set(`${app.name}/${region}`, { application: app.name, region });
        endpoints.add(normaliseHost(check.endpoint));
      }
    }
  }
  // The records' calculated checks exist for existing endpoint checks too.
  const wantedRecords = new Map<string, { application: string; region: string }>();
  for (const app of config.applications) {
    for (const region of Object.keys(app.healthChecks)) {
      wantedRecords.set(`${app.name}/${region}`, { application: app.name, region });
    }
  }
  if (wantedRecords.size === 0) return { ids, recordIds, missing: [] };

  const candidates: string[] = [];
  let input: ListHealthChecksCommandInput = { MaxItems: PAGE_SIZE };
  for (;;) {
    const page = await client.send(new ListHealthChecksCommand(input));
    for (const check of page.HealthChecks ?? []) {
      const host = check.HealthCheckConfig?.FullyQualifiedDomainName;
      const calculated = check.HealthCheckConfig?.Type === 'CALCULATED';
      const endpoint = host !== undefined && endpoints.has(normaliseHost(host));
      if (check.Id !== undefined && (calculated || endpoint)) {
        candidates.push(check.Id);
      }
    }
    if (page.IsTruncated !== true || page.NextMarker === undefined) break;
    input = { MaxItems: PAGE_SIZE, Marker: page.NextMarker };
  }

  const found = new Map<string, string>();
  const foundRecords = new Map<string, string>();
  for (let i = 0; i < candidates.length; i += TAGS_BATCH) {
    const { ResourceTagSets } = await client.send(
      new ListTagsForResourcesCommand({
        ResourceType: 'healthcheck',
        ResourceIds: candidates.slice(i, i + TAGS_BATCH),
      }),
    );
    for (const set of ResourceTagSets ?? []) {
      const tag = (key: string) => set.Tags?.find((t) => t.Key === key)?.Value;
      const key = `${tag(APPLICATION_TAG) ?? ''}/${tag(REGION_TAG) ?? ''}`;
      // Checks created before roles were tagged are endpoint checks.
      const role = tag(ROLE_TAG) ?? 'endpoint';
      if (role === 'record') {
        const target = wantedRecords.get(key);
        if (target === undefined || set.ResourceId === undefined) continue;
        const earlier = foundRecords.get(key);
        if (earlier !== undefined && earlier !== set.ResourceId) {
          throw new Error(
            `Route 53 health checks ${earlier} and ${set.ResourceId} are both tagged as the record check of ${target.application} in ${target.region}; delete the one no record uses`,
          );
        }
        foundRecords.set(key, set.ResourceId);
        (recordIds[target.application] ??= {})[target.region] = set.ResourceId;
        continue;
      }
      const target = role === 'endpoint' ? wanted.get(key) : undefined;
      if (target === undefined || set.ResourceId === undefined) continue;
      const earlier = found.get(key);
      if (earlier !== undefined && earlier !== set.ResourceId) {
        throw new Error(
          `Route 53 health checks ${earlier} and ${set.ResourceId} are both tagged for ${target.application} in ${target.region}; delete the one no record uses`,
        );
      }
      found.set(key, set.ResourceId);
      (ids[target.application] ??= {})[target.region] = set.ResourceId;
    }
  }
  const missing = [
    ...[...wanted.keys()].filter((key) => !found.has(key)),
    ...[...wantedRecords.keys()].filter((key) => !foundRecords.has(key)).map((key) => `${key} (record)`),
  ].sort();
  return { ids, recordIds, missing };
}

/**
 * `discoverHealthCheckIds` once per container: the first call looks them up and later calls reuse
 * the answer. A failed or incomplete look-up (Route 53's API down, a check not yet created) is not
 * kept, so the next call asks again; an incomplete map still serves the regions it has.
 */
export function cachedHealthCheckIds(
  client: Route53Client,
  config: Pick<LifeboatConfig, 'applications'>,
): () => Promise<HealthCheckSet> {
  let cached: Promise<HealthCheckSet> | undefined;
  return () => {
    if (cached !== undefined) return cached;
    const lookup = discoverHealthCheckIds(client, config).then((result) => {
      if (result.missing.length > 0 && cached === lookup) cached = undefined;
      return { ids: result.ids, recordIds: result.recordIds };
    });
    cached = lookup;
    void lookup.catch(() => {
      if (cached === lookup) cached = undefined;
    });
    return lookup;
  };
}

/**
 * Route 53's DNS and health ports with the health check ids from `healthCheckIds` (in a function,
 * `cachedHealthCheckIds`): reading weights or a change needs no ids, so those work even while the
 * look-up cannot.
 */
export class DiscoveringRoute53Dns implements DnsPort {
  readonly #client: Route53Client;
  readonly #healthCheckIds: () => Promise<HealthCheckSet>;
  readonly #withoutIds: Route53Dns;

  constructor(client: Route53Client, healthCheckIds: () => Promise<HealthCheckSet>) {
    this.#client = client;
    this.#healthCheckIds = healthCheckIds;
    this.#withoutIds = new Route53Dns(client, {});
  }

  getWeights(app: ApplicationConfig): Promise<Record<string, number>> {
    return this.#withoutIds.getWeights(app);
  }

  async setWeights(
    app: ApplicationConfig,
    weights: Readonly<Record<string, number>>,
    options: { readonly force: boolean; readonly by: string },
  ): Promise<string> {
    return (await this.#withIds()).setWeights(app, weights, options);
  }

  getChangeStatus(changeId: string): Promise<'PENDING' | 'INSYNC'> {
    return this.#withoutIds.getChangeStatus(changeId);
  }

  async #withIds(): Promise<Route53Dns> {
    const { ids, recordIds } = await this.#healthCheckIds();
    return new Route53Dns(this.#client, ids, recordIds);
  }
}
