import { DatabaseBusyError } from '../../shared/errors.ts';
import {
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  InvalidDBInstanceStateFault,
  InvalidGlobalClusterStateFault,
  PromoteReadReplicaCommand,
  RDSClient,
  RDSServiceException,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import type { DBInstance, GlobalCluster } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { RdsDatabase } from '../../shared/aws/RdsDatabase.ts';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';

const rds = mockClient(RDSClient);

const config = loadConfig(EXAMPLE_CONFIG_PATH);

function application(name: string): ApplicationConfig {
  const app = config.applications.find((a) => a.name === name);
  if (app === undefined) throw new Error(`the example config has no application ${name}`);
  return app;
}

/** rds-read-replica: ai-gateway-db-use1 (primary), -usw2 and -euw1. */
const REPLICATED = application('ai-gateway');
/** aurora-global: ai-gateway-drill-global over ai-gateway-drill-use1 (primary) and -usw2. */
const GLOBAL = application('ai-gateway-drill');

const ACCOUNT = '123456789012';
const USE1_INSTANCE_ARN = `arn:aws:rds:us-east-1:${ACCOUNT}:db:ai-gateway-db-use1`;
const USE1_CLUSTER_ARN = `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:ai-gateway-drill-use1`;
const USW2_CLUSTER_ARN = `arn:aws:rds:us-west-2:${ACCOUNT}:cluster:ai-gateway-drill-usw2`;

/** The region each client was made for, so a test can tell which region a request went to. */
const clientRegions = new Map<unknown, string>();

function database(): RdsDatabase {
  return new RdsDatabase((region) => {
    const client = new RDSClient({ region });
    clientRegions.set(client, region);
    return client;
  });
}

/** The requests of `rds.commandCalls(...)`, each with the region of the client that sent it. */
function sent(
  calls: readonly { readonly thisValue: unknown; readonly args: readonly [{ readonly input: unknown }] }[],
): { region: string | undefined; input: unknown }[] {
  return calls.map((call) => ({ region: clientRegions.get(call.thisValue), input: call.args[0].input }));
}

function instance(fields: Partial<DBInstance>): { DBInstances: DBInstance[] } {
  return { DBInstances: [{ DBInstanceStatus: 'available', ...fields }] };
}

function globalCluster(fields: Partial<GlobalCluster>): { GlobalClusters: GlobalCluster[] } {
  return {
    GlobalClusters: [
      {
        GlobalClusterIdentifier: 'ai-gateway-drill-global',
        Status: 'available',
        GlobalClusterMembers: [
          { DBClusterArn: USE1_CLUSTER_ARN, IsWriter: true, Readers: [USW2_CLUSTER_ARN] },
          { DBClusterArn: USW2_CLUSTER_ARN, IsWriter: false, Readers: [] },
        ],
        ...fields,
      },
    ],
  };
}

function throttling(): RDSServiceException {
  return new RDSServiceException({
    name: 'Throttling',
    $fault: 'client',
    message: 'Rate exceeded',
    $metadata: {},
  });
}

beforeEach(() => {
  rds.reset();
  clientRegions.clear();
});

describe('RdsDatabase.describe with rds-read-replica', () => {
  it('reports a replica with the source ARN region when the source is in another region', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(
      instance({
        DBInstanceIdentifier: 'ai-gateway-db-usw2',
        ReadReplicaSourceDBInstanceIdentifier: USE1_INSTANCE_ARN,
      }),
    );

    await expect(database().describe(REPLICATED, 'us-west-2')).resolves.toEqual({
      role: 'replica',
      available: true,
      sourceRegion: 'us-east-1',
    });
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 1);
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, {
      DBInstanceIdentifier: 'ai-gateway-db-usw2',
    });
    expect(sent(rds.commandCalls(DescribeDBInstancesCommand))).toEqual([
      { region: 'us-west-2', input: { DBInstanceIdentifier: 'ai-gateway-db-usw2' } },
    ]);
  });

  it('reports the replica’s own region as the source when the source is a plain identifier', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves(instance({ ReadReplicaSourceDBInstanceIdentifier: 'ai-gateway-db-euw1-primary' }));

    await expect(database().describe(REPLICATED, 'eu-west-1')).resolves.toEqual({
      role: 'replica',
      available: true,
      sourceRegion: 'eu-west-1',
    });
    expect(sent(rds.commandCalls(DescribeDBInstancesCommand))).toEqual([
      { region: 'eu-west-1', input: { DBInstanceIdentifier: 'ai-gateway-db-euw1' } },
    ]);
  });

  it('reports a writer when the instance has read replicas and no source', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(
      instance({
        ReadReplicaDBInstanceIdentifiers: [
          `arn:aws:rds:us-west-2:${ACCOUNT}:db:ai-gateway-db-usw2`,
          `arn:aws:rds:eu-west-1:${ACCOUNT}:db:ai-gateway-db-euw1`,
        ],
      }),
    );

    await expect(database().describe(REPLICATED, 'us-east-1')).resolves.toEqual({
      role: 'writer',
      available: true,
      sourceRegion: undefined,
    });
    expect(sent(rds.commandCalls(DescribeDBInstancesCommand))).toEqual([
      { region: 'us-east-1', input: { DBInstanceIdentifier: 'ai-gateway-db-use1' } },
    ]);
  });

  it('reports standalone and not available when a promoted replica is still modifying', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves(instance({ DBInstanceStatus: 'modifying', ReadReplicaDBInstanceIdentifiers: [] }));

    await expect(database().describe(REPLICATED, 'us-west-2')).resolves.toEqual({
      role: 'standalone',
      available: false,
      sourceRegion: undefined,
    });
    expect(sent(rds.commandCalls(DescribeDBInstancesCommand))).toEqual([
      { region: 'us-west-2', input: { DBInstanceIdentifier: 'ai-gateway-db-usw2' } },
    ]);
  });

  it('reports a replica not available when its status is modifying', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves(
        instance({ DBInstanceStatus: 'modifying', ReadReplicaSourceDBInstanceIdentifier: USE1_INSTANCE_ARN }),
      );

    await expect(database().describe(REPLICATED, 'us-west-2')).resolves.toEqual({
      role: 'replica',
      available: false,
      sourceRegion: 'us-east-1',
    });
  });

  it('propagates a throttling error unchanged when DescribeDBInstances fails', async () => {
    const error = throttling();
    rds.on(DescribeDBInstancesCommand).rejects(error);

    const described = database().describe(REPLICATED, 'us-west-2');

    await expect(described).rejects.toBe(error);
    await expect(described).rejects.toMatchObject({ name: 'Throttling' });
  });

  it('throws naming the application and region when the config has no instance there', async () => {
    await expect(database().describe(REPLICATED, 'ap-south-1')).rejects.toThrow(
      'Application ai-gateway has no DB instance in ap-south-1',
    );
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 0);
  });
});

describe('RdsDatabase.promote with rds-read-replica', () => {
  it('promotes a replica by its identifier alone and returns started when it is still a replica', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves(instance({ ReadReplicaSourceDBInstanceIdentifier: USE1_INSTANCE_ARN }));
    rds.on(PromoteReadReplicaCommand).resolves({});

    await expect(
      database().promote(REPLICATED, 'us-west-2', { planned: false, by: 'failover-1' }),
    ).resolves.toBe('started');
    expect(rds).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
    expect(rds).toHaveReceivedCommandWith(PromoteReadReplicaCommand, {
      DBInstanceIdentifier: 'ai-gateway-db-usw2',
    });
    expect(sent(rds.commandCalls(DescribeDBInstancesCommand))).toEqual([
      { region: 'us-west-2', input: { DBInstanceIdentifier: 'ai-gateway-db-usw2' } },
    ]);
    expect(sent(rds.commandCalls(PromoteReadReplicaCommand))).toEqual([
      { region: 'us-west-2', input: { DBInstanceIdentifier: 'ai-gateway-db-usw2' } },
    ]);
  });

  it('sends the same request when the promotion is planned', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves(instance({ ReadReplicaSourceDBInstanceIdentifier: USE1_INSTANCE_ARN }));
    rds.on(PromoteReadReplicaCommand).resolves({});

    await expect(
      database().promote(REPLICATED, 'eu-west-1', { planned: true, by: 'switchover-2' }),
    ).resolves.toBe('started');
    expect(sent(rds.commandCalls(PromoteReadReplicaCommand))).toEqual([
      { region: 'eu-west-1', input: { DBInstanceIdentifier: 'ai-gateway-db-euw1' } },
    ]);
  });

  it('returns already-promoted without promoting when the instance is a writer', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(
      instance({
        ReadReplicaDBInstanceIdentifiers: [`arn:aws:rds:us-east-1:${ACCOUNT}:db:ai-gateway-db-use1`],
      }),
    );

    await expect(
      database().promote(REPLICATED, 'us-west-2', { planned: false, by: 'failover-1' }),
    ).resolves.toBe('already-promoted');
    expect(rds).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
    expect(sent(rds.commandCalls(DescribeDBInstancesCommand))).toEqual([
      { region: 'us-west-2', input: { DBInstanceIdentifier: 'ai-gateway-db-usw2' } },
    ]);
  });

  it('returns already-promoted without promoting when it has no source and is modifying', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(instance({ DBInstanceStatus: 'modifying' }));

    await expect(
      database().promote(REPLICATED, 'us-west-2', { planned: false, by: 'failover-1' }),
    ).resolves.toBe('already-promoted');
    expect(rds).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 0);
  });

  it('returns already-promoted when a concurrent promotion makes PromoteReadReplica fail', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce(instance({ ReadReplicaSourceDBInstanceIdentifier: USE1_INSTANCE_ARN }))
      .resolves(instance({ DBInstanceStatus: 'modifying' }));
    rds.on(PromoteReadReplicaCommand).rejects(
      new InvalidDBInstanceStateFault({
        message: 'DB Instance is not a read replica.',
        $metadata: {},
      }),
    );

    await expect(
      database().promote(REPLICATED, 'us-west-2', { planned: false, by: 'failover-1' }),
    ).resolves.toBe('already-promoted');
    expect(rds).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
    expect(sent(rds.commandCalls(DescribeDBInstancesCommand))).toEqual([
      { region: 'us-west-2', input: { DBInstanceIdentifier: 'ai-gateway-db-usw2' } },
      { region: 'us-west-2', input: { DBInstanceIdentifier: 'ai-gateway-db-usw2' } },
    ]);
  });

  it('says the replica is busy (retried by the workflow) when it refuses promotion while backing up', async () => {
    const fault = new InvalidDBInstanceStateFault({
      message: 'Instance ai-gateway-db-usw2 is in backing-up state',
      $metadata: {},
    });
    rds.on(DescribeDBInstancesCommand).resolves(
      instance({
        DBInstanceStatus: 'backing-up',
        ReadReplicaSourceDBInstanceIdentifier: USE1_INSTANCE_ARN,
      }),
    );
    rds.on(PromoteReadReplicaCommand).rejects(fault);

    const promoted = database().promote(REPLICATED, 'us-west-2', { planned: false, by: 'failover-1' });

    await expect(promoted).rejects.toBeInstanceOf(DatabaseBusyError);
    await expect(promoted).rejects.toMatchObject({
      name: 'DatabaseBusyError',
      message: expect.stringContaining('ai-gateway-db-usw2 in us-west-2 is backing-up'),
      cause: fault,
    });
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 2);
  });

  it('rethrows the state fault unchanged when the replica is available and still refuses', async () => {
    const fault = new InvalidDBInstanceStateFault({ message: 'refused', $metadata: {} });
    rds
      .on(DescribeDBInstancesCommand)
      .resolves(instance({ ReadReplicaSourceDBInstanceIdentifier: USE1_INSTANCE_ARN }));
    rds.on(PromoteReadReplicaCommand).rejects(fault);

    await expect(
      database().promote(REPLICATED, 'us-west-2', { planned: false, by: 'failover-1' }),
    ).rejects.toBe(fault);
  });

  it('counts an instance that is backing-up as serving, as RDS backs a promoted instance up', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(instance({ DBInstanceStatus: 'backing-up' }));

    await expect(database().describe(REPLICATED, 'us-west-2')).resolves.toEqual({
      role: 'standalone',
      available: true,
      sourceRegion: undefined,
    });
  });

  it('propagates a throttling error from PromoteReadReplica unchanged without describing again', async () => {
    const error = throttling();
    rds
      .on(DescribeDBInstancesCommand)
      .resolves(instance({ ReadReplicaSourceDBInstanceIdentifier: USE1_INSTANCE_ARN }));
    rds.on(PromoteReadReplicaCommand).rejects(error);

    const promoted = database().promote(REPLICATED, 'us-west-2', { planned: false, by: 'failover-1' });

    await expect(promoted).rejects.toBe(error);
    await expect(promoted).rejects.toMatchObject({ name: 'Throttling' });
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 1);
  });
});

describe('RdsDatabase.describe with aurora-global', () => {
  it('reports the writer when the region’s cluster is the writer member', async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(globalCluster({}));

    await expect(database().describe(GLOBAL, 'us-east-1')).resolves.toEqual({
      role: 'writer',
      available: true,
      sourceRegion: undefined,
    });
    expect(rds).toHaveReceivedCommandTimes(DescribeGlobalClustersCommand, 1);
    expect(rds).toHaveReceivedCommandWith(DescribeGlobalClustersCommand, {
      GlobalClusterIdentifier: 'ai-gateway-drill-global',
    });
    expect(sent(rds.commandCalls(DescribeGlobalClustersCommand))).toEqual([
      { region: 'us-east-1', input: { GlobalClusterIdentifier: 'ai-gateway-drill-global' } },
    ]);
  });

  it('reports a replica of the writer’s region when the region’s cluster is a secondary', async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(globalCluster({}));

    await expect(database().describe(GLOBAL, 'us-west-2')).resolves.toEqual({
      role: 'replica',
      available: true,
      sourceRegion: 'us-east-1',
    });
    expect(sent(rds.commandCalls(DescribeGlobalClustersCommand))).toEqual([
      { region: 'us-west-2', input: { GlobalClusterIdentifier: 'ai-gateway-drill-global' } },
    ]);
  });

  it.each(['pending', 'failing-over', 'switching-over'])(
    'reports not available when a switchover or failover is %s',
    async (status) => {
      rds.on(DescribeGlobalClustersCommand).resolves(
        globalCluster({
          FailoverState: {
            Status: status as 'pending',
            FromDbClusterArn: USE1_CLUSTER_ARN,
            ToDbClusterArn: USW2_CLUSTER_ARN,
            IsDataLossAllowed: false,
          },
        }),
      );

      await expect(database().describe(GLOBAL, 'us-west-2')).resolves.toEqual({
        role: 'replica',
        available: false,
        sourceRegion: 'us-east-1',
      });
    },
  );

  it('reports a secondary Aurora is rebuilding after a global failover (pending-resync) as not available', async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(
      globalCluster({
        GlobalClusterMembers: [
          { DBClusterArn: USE1_CLUSTER_ARN, IsWriter: true, SynchronizationStatus: 'connected' },
          { DBClusterArn: USW2_CLUSTER_ARN, IsWriter: false, SynchronizationStatus: 'pending-resync' },
        ],
      }),
    );

    await expect(database().describe(GLOBAL, 'us-west-2')).resolves.toEqual({
      role: 'replica',
      available: false,
      sourceRegion: 'us-east-1',
    });
    await expect(database().describe(GLOBAL, 'us-east-1')).resolves.toMatchObject({
      role: 'writer',
      available: true,
    });
  });

  it('reports available when the failover state is empty', async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(globalCluster({ FailoverState: {} }));

    await expect(database().describe(GLOBAL, 'us-west-2')).resolves.toMatchObject({ available: true });
  });

  it('reports not available when the global cluster is not available', async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(globalCluster({ Status: 'modifying' }));

    await expect(database().describe(GLOBAL, 'us-east-1')).resolves.toEqual({
      role: 'writer',
      available: false,
      sourceRegion: undefined,
    });
  });

  it('throws naming the cluster and global cluster when the region’s cluster is not a member', async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(
      globalCluster({
        GlobalClusterMembers: [
          { DBClusterArn: USE1_CLUSTER_ARN, IsWriter: true, Readers: [] },
          // Same identifier, wrong region: cluster identifiers are unique per region only.
          { DBClusterArn: `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:ai-gateway-drill-usw2`, IsWriter: false },
        ],
      }),
    );

    await expect(database().describe(GLOBAL, 'us-west-2')).rejects.toThrow(
      'Aurora cluster ai-gateway-drill-usw2 in us-west-2 is not a member of global cluster ai-gateway-drill-global',
    );
  });

  it('propagates a throttling error unchanged when DescribeGlobalClusters fails', async () => {
    const error = throttling();
    rds.on(DescribeGlobalClustersCommand).rejects(error);

    const described = database().describe(GLOBAL, 'us-west-2');

    await expect(described).rejects.toBe(error);
    await expect(described).rejects.toMatchObject({ name: 'Throttling' });
  });
});

describe('RdsDatabase.promote with aurora-global', () => {
  it('switches over to the target cluster by ARN when the promotion is planned', async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(globalCluster({}));
    rds.on(SwitchoverGlobalClusterCommand).resolves({});

    await expect(
      database().promote(GLOBAL, 'us-west-2', { planned: true, by: 'switchover-1' }),
    ).resolves.toBe('started');
    expect(rds).toHaveReceivedCommandTimes(SwitchoverGlobalClusterCommand, 1);
    expect(rds).toHaveReceivedCommandWith(SwitchoverGlobalClusterCommand, {
      GlobalClusterIdentifier: 'ai-gateway-drill-global',
      TargetDbClusterIdentifier: USW2_CLUSTER_ARN,
    });
    expect(sent(rds.commandCalls(SwitchoverGlobalClusterCommand))).toEqual([
      {
        region: 'us-west-2',
        input: {
          GlobalClusterIdentifier: 'ai-gateway-drill-global',
          TargetDbClusterIdentifier: USW2_CLUSTER_ARN,
        },
      },
    ]);
    expect(rds).toHaveReceivedCommandTimes(FailoverGlobalClusterCommand, 0);
  });

  it('fails over to the target cluster allowing data loss when the promotion is unplanned', async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(globalCluster({}));
    rds.on(FailoverGlobalClusterCommand).resolves({});

    await expect(database().promote(GLOBAL, 'us-west-2', { planned: false, by: 'failover-1' })).resolves.toBe(
      'started',
    );
    expect(rds).toHaveReceivedCommandTimes(FailoverGlobalClusterCommand, 1);
    expect(rds).toHaveReceivedCommandWith(FailoverGlobalClusterCommand, {
      GlobalClusterIdentifier: 'ai-gateway-drill-global',
      TargetDbClusterIdentifier: USW2_CLUSTER_ARN,
      AllowDataLoss: true,
    });
    expect(sent(rds.commandCalls(FailoverGlobalClusterCommand))).toEqual([
      {
        region: 'us-west-2',
        input: {
          GlobalClusterIdentifier: 'ai-gateway-drill-global',
          TargetDbClusterIdentifier: USW2_CLUSTER_ARN,
          AllowDataLoss: true,
        },
      },
    ]);
    expect(rds).toHaveReceivedCommandTimes(SwitchoverGlobalClusterCommand, 0);
  });

  it('returns already-promoted without a switchover or failover when the target is the writer', async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(globalCluster({}));

    await expect(database().promote(GLOBAL, 'us-east-1', { planned: false, by: 'failover-1' })).resolves.toBe(
      'already-promoted',
    );
    expect(rds).toHaveReceivedCommandTimes(FailoverGlobalClusterCommand, 0);
    expect(rds).toHaveReceivedCommandTimes(SwitchoverGlobalClusterCommand, 0);
  });

  it('returns already-promoted when a failover to the target is under way', async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(
      globalCluster({
        Status: 'failing-over',
        FailoverState: {
          Status: 'failing-over',
          FromDbClusterArn: USE1_CLUSTER_ARN,
          ToDbClusterArn: USW2_CLUSTER_ARN,
          IsDataLossAllowed: true,
        },
      }),
    );

    await expect(database().promote(GLOBAL, 'us-west-2', { planned: false, by: 'failover-1' })).resolves.toBe(
      'already-promoted',
    );
    expect(rds).toHaveReceivedCommandTimes(FailoverGlobalClusterCommand, 0);
    expect(rds).toHaveReceivedCommandTimes(SwitchoverGlobalClusterCommand, 0);
  });

  it('fails over again when the earlier operation to the target is being cancelled', async () => {
    rds.on(DescribeGlobalClustersCommand).resolves(
      globalCluster({
        FailoverState: {
          Status: 'cancelling',
          FromDbClusterArn: USE1_CLUSTER_ARN,
          ToDbClusterArn: USW2_CLUSTER_ARN,
          IsDataLossAllowed: false,
        },
      }),
    );
    rds.on(FailoverGlobalClusterCommand).resolves({});

    await expect(database().promote(GLOBAL, 'us-west-2', { planned: false, by: 'failover-1' })).resolves.toBe(
      'started',
    );
    expect(rds).toHaveReceivedCommandTimes(FailoverGlobalClusterCommand, 1);
  });

  it('returns already-promoted when a concurrent switchover makes its own fail with a state fault', async () => {
    rds
      .on(DescribeGlobalClustersCommand)
      .resolvesOnce(globalCluster({}))
      .resolves(
        globalCluster({
          Status: 'switching-over',
          FailoverState: {
            Status: 'pending',
            FromDbClusterArn: USE1_CLUSTER_ARN,
            ToDbClusterArn: USW2_CLUSTER_ARN,
            IsDataLossAllowed: false,
          },
        }),
      );
    rds
      .on(SwitchoverGlobalClusterCommand)
      .rejects(new InvalidGlobalClusterStateFault({ message: 'operation in progress', $metadata: {} }));

    await expect(
      database().promote(GLOBAL, 'us-west-2', { planned: true, by: 'switchover-1' }),
    ).resolves.toBe('already-promoted');
    expect(rds).toHaveReceivedCommandTimes(SwitchoverGlobalClusterCommand, 1);
    expect(sent(rds.commandCalls(DescribeGlobalClustersCommand))).toEqual([
      { region: 'us-west-2', input: { GlobalClusterIdentifier: 'ai-gateway-drill-global' } },
      { region: 'us-west-2', input: { GlobalClusterIdentifier: 'ai-gateway-drill-global' } },
    ]);
  });

  it('rethrows the state fault unchanged when nothing is promoting the target after it', async () => {
    const fault = new InvalidGlobalClusterStateFault({
      message: 'global cluster is modifying',
      $metadata: {},
    });
    rds.on(DescribeGlobalClustersCommand).resolves(globalCluster({ Status: 'modifying' }));
    rds.on(FailoverGlobalClusterCommand).rejects(fault);

    const promoted = database().promote(GLOBAL, 'us-west-2', { planned: false, by: 'failover-1' });

    await expect(promoted).rejects.toBe(fault);
    await expect(promoted).rejects.toMatchObject({ name: 'InvalidGlobalClusterStateFault' });
    expect(rds).toHaveReceivedCommandTimes(DescribeGlobalClustersCommand, 2);
  });

  it('propagates a throttling error from FailoverGlobalCluster unchanged', async () => {
    const error = throttling();
    rds.on(DescribeGlobalClustersCommand).resolves(globalCluster({}));
    rds.on(FailoverGlobalClusterCommand).rejects(error);

    const promoted = database().promote(GLOBAL, 'us-west-2', { planned: false, by: 'failover-1' });

    await expect(promoted).rejects.toBe(error);
    await expect(promoted).rejects.toMatchObject({ name: 'Throttling' });
    expect(rds).toHaveReceivedCommandTimes(DescribeGlobalClustersCommand, 1);
  });
});
