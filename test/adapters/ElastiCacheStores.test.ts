import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  FailoverGlobalReplicationGroupCommand,
  InvalidGlobalReplicationGroupStateFault,
} from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { ElastiCacheStores } from '../../shared/aws/ElastiCacheStores.ts';
import type { ApplicationConfig, StoreConfig } from '../../shared/config/LifeboatConfig.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { classifyError, TransientServiceError } from '../../shared/errors.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';

const config = loadConfig(EXAMPLE_CONFIG_PATH);
const APP: ApplicationConfig = config.applications.find((a) => a.name === 'ai-gateway')!;
const STORE: StoreConfig = APP.stores[0]!;
const GLOBAL = 'ldgnf-ai-gateway-budgets';
const NOW = new Date('2026-12-06T06:00:00.000Z');

const elastiCache = {
  'us-east-1': new ElastiCacheClient({ region: 'us-east-1' }),
  'us-west-2': new ElastiCacheClient({ region: 'us-west-2' }),
};
const cloudWatch = new CloudWatchClient({ region: 'us-west-2' });
const eastMock = mockClient(elastiCache['us-east-1']);
const westMock = mockClient(elastiCache['us-west-2']);
const cloudWatchMock = mockClient(cloudWatch);

function stores(): ElastiCacheStores {
  return new ElastiCacheStores(
    (region) => {
      if (region !== 'us-east-1' && region !== 'us-west-2') throw new Error(`no test client for ${region}`);
      return elastiCache[region];
    },
    (region) => {
      if (region !== 'us-west-2') throw new Error(`no CloudWatch test client for ${region}`);
      return cloudWatch;
    },
    () => NOW,
  );
}

/** The Global Datastore with its members, `primary` the primary's region. */
function global(primary: string, status = 'available', memberStatus = 'associated') {
  return {
    GlobalReplicationGroups: [
      {
        GlobalReplicationGroupId: GLOBAL,
        Status: status,
        Members: Object.entries(STORE.replicationGroups).map(([region, id]) => ({
          ReplicationGroupId: id,
          ReplicationGroupRegion: region,
          Role: region === primary ? 'PRIMARY' : 'SECONDARY',
          Status: memberStatus,
        })),
      },
    ],
  };
}

beforeEach(() => {
  eastMock.reset();
  westMock.reset();
  cloudWatchMock.reset();
  // The member's own replication group serves unless a test says otherwise.
  westMock.on(DescribeReplicationGroupsCommand).resolves({
    ReplicationGroups: [{ ReplicationGroupId: 'ai-gateway-budgets-usw2', Status: 'available' }],
  });
});

describe('ElastiCacheStores.describe', () => {
  it("reads the member's role from the Global Datastore with ShowMemberInfo, in the member's region", async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(global('us-east-1'));
    await expect(stores().describe(APP, STORE, 'us-west-2')).resolves.toEqual({
      role: 'secondary',
      available: true,
      sourceRegion: 'us-east-1',
    });
    expect(westMock.commandCalls(DescribeGlobalReplicationGroupsCommand)[0]!.args[0].input).toEqual({
      GlobalReplicationGroupId: GLOBAL,
      ShowMemberInfo: true,
    });
    expect(eastMock.calls()).toHaveLength(0);
  });

  it("says a member is not available while its replication group is modifying or it is associating, whatever the datastore's status", async () => {
    const group = (status: string) => ({
      ReplicationGroups: [{ ReplicationGroupId: 'ai-gateway-budgets-usw2', Status: status }],
    });
    westMock.on(DescribeReplicationGroupsCommand).resolves(group('modifying'));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(global('us-west-2', 'available'));
    await expect(stores().describe(APP, STORE, 'us-west-2')).resolves.toEqual({
      role: 'primary',
      available: false,
      sourceRegion: undefined,
    });
    // The new primary serves once its own group is available, though the datastore still shows
    // `modifying` (its old primary's region does not answer).
    westMock.on(DescribeReplicationGroupsCommand).resolves(group('available'));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(global('us-west-2', 'modifying'));
    await expect(stores().describe(APP, STORE, 'us-west-2')).resolves.toMatchObject({ available: true });
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolves(global('us-east-1', 'available', 'associating'));
    await expect(stores().describe(APP, STORE, 'us-west-2')).resolves.toMatchObject({ available: false });
  });

  it('calls a replication group that is no member any more standalone, available by its own status', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves({
      GlobalReplicationGroups: [{ GlobalReplicationGroupId: GLOBAL, Status: 'primary-only', Members: [] }],
    });
    westMock.on(DescribeReplicationGroupsCommand).resolves({
      ReplicationGroups: [{ ReplicationGroupId: 'ai-gateway-budgets-usw2', Status: 'available' }],
    });
    await expect(stores().describe(APP, STORE, 'us-west-2')).resolves.toEqual({
      role: 'standalone',
      available: true,
      sourceRegion: undefined,
    });
    expect(westMock.commandCalls(DescribeReplicationGroupsCommand)[0]!.args[0].input).toEqual({
      ReplicationGroupId: 'ai-gateway-budgets-usw2',
    });
  });

  it('fails with GlobalReplicationGroupNotFoundFault when the answer holds no datastore', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves({ GlobalReplicationGroups: [] });
    await expect(stores().describe(APP, STORE, 'us-west-2')).rejects.toMatchObject({
      name: 'GlobalReplicationGroupNotFoundFault',
    });
  });
});

describe('ElastiCacheStores.promote', () => {
  it('fails the datastore over to the member, naming it as the new primary, in its own region', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(global('us-east-1'));
    westMock.on(FailoverGlobalReplicationGroupCommand).resolves({});
    await expect(stores().promote(APP, STORE, 'us-west-2')).resolves.toBe('started');
    expect(westMock.commandCalls(FailoverGlobalReplicationGroupCommand)[0]!.args[0].input).toEqual({
      GlobalReplicationGroupId: GLOBAL,
      PrimaryRegion: 'us-west-2',
      PrimaryReplicationGroupId: 'ai-gateway-budgets-usw2',
    });
    expect(eastMock.calls()).toHaveLength(0);
  });

  it('changes nothing when the member is already the primary (a second run of the step)', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(global('us-west-2'));
    await expect(stores().promote(APP, STORE, 'us-west-2')).resolves.toBe('already-promoted');
    expect(westMock.commandCalls(FailoverGlobalReplicationGroupCommand)).toHaveLength(0);
  });

  it("passes ElastiCache's refusal on, as a permanent error for the workflow", async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(global('us-east-1'));
    westMock.on(FailoverGlobalReplicationGroupCommand).rejects(
      new InvalidGlobalReplicationGroupStateFault({
        message: 'The Global datastore is not available or in primary-only state.',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const error = await stores()
      .promote(APP, STORE, 'us-west-2')
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('InvalidGlobalReplicationGroupStateFault');
    expect(classifyError(error)).not.toBeInstanceOf(TransientServiceError);
  });
});

describe('ElastiCacheStores.lagHistory', () => {
  it("reads GlobalDatastoreReplicationLag of each of the member's cache clusters and keeps the worst each minute", async () => {
    westMock.on(DescribeReplicationGroupsCommand).resolves({
      ReplicationGroups: [
        {
          ReplicationGroupId: 'ai-gateway-budgets-usw2',
          MemberClusters: ['ai-gateway-budgets-usw2-001', 'ai-gateway-budgets-usw2-002'],
        },
      ],
    });
    const t1 = new Date('2026-12-06T05:59:00.000Z');
    const t2 = new Date('2026-12-06T05:58:00.000Z');
    cloudWatchMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'lag0', Timestamps: [t1, t2], Values: [0.4, 2], StatusCode: 'Complete' },
        { Id: 'lag1', Timestamps: [t2], Values: [3], StatusCode: 'Complete' },
      ],
    });
    await expect(stores().lagHistory(APP, STORE, 'us-west-2', 600)).resolves.toEqual([
      { at: t1.toISOString(), seconds: 0.4 },
      { at: t2.toISOString(), seconds: 3 },
    ]);
    const query = (cluster: string, id: string) => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ElastiCache',
          MetricName: 'GlobalDatastoreReplicationLag',
          Dimensions: [{ Name: 'CacheClusterId', Value: cluster }],
        },
        Period: 60,
        Stat: 'Maximum',
      },
    });
    expect(cloudWatchMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toEqual({
      StartTime: new Date('2026-12-06T05:50:00.000Z'),
      EndTime: NOW,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        query('ai-gateway-budgets-usw2-001', 'lag0'),
        query('ai-gateway-budgets-usw2-002', 'lag1'),
      ],
    });
  });

  it('returns no datapoints, without reading metrics, for a group with no clusters', async () => {
    westMock.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [{ MemberClusters: [] }] });
    await expect(stores().lagHistory(APP, STORE, 'us-west-2', 600)).resolves.toEqual([]);
    expect(cloudWatchMock.calls()).toHaveLength(0);
  });
});
