import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  FailoverGlobalReplicationGroupCommand,
  type ElastiCacheClient,
  type GlobalReplicationGroup,
} from '@aws-sdk/client-elasticache';
import type { ApplicationConfig, StoreConfig } from '../config/LifeboatConfig.ts';
import type { LagSample, StoreStatus, StoresPort } from '../ports/Estate.ts';

const PERIOD_SECONDS = 60;

/**
 * The stores of the config over ElastiCache Global Datastores (Valkey or Redis OSS), each call sent
 * to the member's own region: AWS documents promotion "by connecting to any AWS Region that contains
 * a secondary cluster" (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastore.html),
 * so nothing here needs the primary's region to answer.
 */
export class ElastiCacheStores implements StoresPort {
  readonly #elastiCacheFor: (region: string) => ElastiCacheClient;
  readonly #cloudWatchFor: (region: string) => CloudWatchClient;
  readonly #now: () => Date;

  constructor(
    elastiCacheFor: (region: string) => ElastiCacheClient,
    cloudWatchFor: (region: string) => CloudWatchClient,
    now: () => Date = () => new Date(),
  ) {
    this.#elastiCacheFor = elastiCacheFor;
    this.#cloudWatchFor = cloudWatchFor;
    this.#now = now;
  }

  /**
   * The member's role from DescribeGlobalReplicationGroups with `ShowMemberInfo` (without it the
   * answer has no `Members`): `PRIMARY` or `SECONDARY`, in states `associating`, `associated`,
   * `disassociating`. Whether it serves is its own replication group's status (DescribeReplicationGroups:
   * `available`, `modifying`, ...), not the datastore's: AWS does not say when a datastore whose old
   * primary's region does not answer leaves `modifying` after a failover
   * (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastores-Console.html),
   * while the new primary's group serves once it is `available`. A replication group that is no
   * member any more was removed from the datastore and takes writes alone: `standalone`.
   */
  async describe(app: ApplicationConfig, store: StoreConfig, region: string): Promise<StoreStatus> {
    const id = memberId(app, store, region);
    const [group, own] = await Promise.all([
      this.#global(store, region),
      this.#elastiCacheFor(region).send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id })),
    ]);
    const serving = own.ReplicationGroups?.[0]?.Status === 'available';
    const members = group.Members ?? [];
    const member = members.find((m) => m.ReplicationGroupRegion === region && m.ReplicationGroupId === id);
    if (member === undefined) return { role: 'standalone', available: serving, sourceRegion: undefined };
    const primary = members.find((m) => m.Role?.toUpperCase() === 'PRIMARY');
    const isPrimary = member.Role?.toUpperCase() === 'PRIMARY';
    return {
      role: isPrimary ? 'primary' : 'secondary',
      available: serving && member.Status === 'associated',
      sourceRegion: isPrimary ? undefined : primary?.ReplicationGroupRegion,
    };
  }

  /**
   * FailoverGlobalReplicationGroup naming the member to become primary (`PrimaryRegion`,
   * `PrimaryReplicationGroupId`): "The secondary region will become primary, and all other clusters
   * will become secondary"
   * (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_FailoverGlobalReplicationGroup.html).
   * The same call serves a planned switch and an outage: promotion "is allowed anytime, even if other
   * modifications are in progress", including when "the primary cluster or AWS Region becomes
   * unavailable" (Redis-Global-Datastores-Console.html). It has no data-loss flag: a planned caller
   * waits for the member to catch up first. A second call for the same member while the first runs
   * changes nothing more: "the global datastore resolves to one primary eventually".
   */
  async promote(
    app: ApplicationConfig,
    store: StoreConfig,
    region: string,
  ): Promise<'started' | 'already-promoted'> {
    // Only the role decides: a member that is no member any more (standalone) or the primary writes.
    const id = memberId(app, store, region);
    const member = (await this.#global(store, region)).Members?.find(
      (m) => m.ReplicationGroupRegion === region && m.ReplicationGroupId === id,
    );
    if (member === undefined || member.Role?.toUpperCase() === 'PRIMARY') return 'already-promoted';
    await this.#elastiCacheFor(region).send(
      new FailoverGlobalReplicationGroupCommand({
        GlobalReplicationGroupId: store.globalReplicationGroupId,
        PrimaryRegion: region,
        PrimaryReplicationGroupId: id,
      }),
    );
    return 'started';
  }

  /**
   * `GlobalDatastoreReplicationLag` (seconds, "the lag between the secondary Region's primary node and
   * the primary Region's primary node"; with cluster mode, "the maximum delay among the shards",
   * https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html). ElastiCache
   * publishes it per node, by `CacheClusterId`, in the secondary's region: so the member's cache
   * clusters (DescribeReplicationGroups `MemberClusters`) are each read in one GetMetricData call, and
   * the worst of them at each minute is the member's lag. Nodes that are not a shard's primary
   * publish nothing.
   */
  async lagHistory(
    app: ApplicationConfig,
    store: StoreConfig,
    region: string,
    windowSeconds: number,
  ): Promise<LagSample[]> {
    const id = memberId(app, store, region);
    const described = await this.#elastiCacheFor(region).send(
      new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }),
    );
    const clusters = described.ReplicationGroups?.[0]?.MemberClusters ?? [];
    if (clusters.length === 0) return [];
    const end = this.#now();
    // GetMetricData takes up to 500 queries a call; a replication group has at most 500 nodes
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html,
    // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/quota-limits.html).
    const output = await this.#cloudWatchFor(region).send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - windowSeconds * 1000),
        EndTime: end,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: clusters.slice(0, 500).map((cluster, i) => ({
          Id: `lag${i}`,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ElastiCache',
              MetricName: 'GlobalDatastoreReplicationLag',
              Dimensions: [{ Name: 'CacheClusterId', Value: cluster }],
            },
            Period: PERIOD_SECONDS,
            Stat: 'Maximum',
          },
        })),
      }),
    );
    const worst = new Map<string, number>();
    for (const result of output.MetricDataResults ?? []) {
      const values = result.Values ?? [];
      (result.Timestamps ?? []).forEach((timestamp, i) => {
        const value = values[i];
        if (value === undefined) return;
        const at = timestamp.toISOString();
        worst.set(at, Math.max(worst.get(at) ?? 0, value));
      });
    }
    return [...worst.entries()]
      .map(([at, seconds]) => ({ at, seconds }))
      .sort((a, b) => b.at.localeCompare(a.at));
  }

  async #global(store: StoreConfig, region: string): Promise<GlobalReplicationGroup> {
    const output = await this.#elastiCacheFor(region).send(
      new DescribeGlobalReplicationGroupsCommand({
        GlobalReplicationGroupId: store.globalReplicationGroupId,
        ShowMemberInfo: true,
      }),
    );
    const group = output.GlobalReplicationGroups?.[0];
    if (group === undefined) {
      const error = new Error(`the Global Datastore ${store.globalReplicationGroupId} does not exist`);
      error.name = 'GlobalReplicationGroupNotFoundFault';
      throw error;
    }
    return group;
  }
}

function memberId(app: ApplicationConfig, store: StoreConfig, region: string): string {
  const id = store.replicationGroups[region];
  if (id === undefined) {
    throw new Error(`${app.name}'s store ${store.name} has no replication group in ${region}`);
  }
  return id;
}
