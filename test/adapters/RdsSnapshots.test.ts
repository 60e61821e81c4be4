import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DBClusterAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DBSnapshotAlreadyExistsFault,
  DBSnapshotNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  DBInstanceAlreadyExistsFault,
  InvalidDBInstanceStateFault,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import type { DBClusterSnapshot, DBSnapshot } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { RdsSnapshots } from '../../shared/aws/RdsSnapshots.ts';
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

/** rds-read-replica: ai-gateway-db-use1 (primary). */
const INSTANCES = application('ai-gateway');
/** aurora-global: ai-gateway-drill-use1 (primary) and -usw2. */
const CLUSTERS = application('ai-gateway-drill');

const ACCOUNT = '123456789012';
const ID = 'lifeboat-ai-gateway-20300101-0600';
const TAGS = { 'lifeboat:application': 'ai-gateway', 'lifeboat:kind': 'backup' };
const TAG_LIST = [
  { Key: 'lifeboat:application', Value: 'ai-gateway' },
  { Key: 'lifeboat:kind', Value: 'backup' },
];

const clientRegions = new Map<unknown, string>();

function snapshots(): RdsSnapshots {
  return new RdsSnapshots((region) => {
    const client = new RDSClient({ region });
    clientRegions.set(client, region);
    return client;
  });
}

/** The region of the client that sent each call of a command. */
function regionsOf(calls: readonly { readonly thisValue: unknown }[]): (string | undefined)[] {
  return calls.map((call) => clientRegions.get(call.thisValue));
}

function dbSnapshot(fields: Partial<DBSnapshot> = {}): DBSnapshot {
  return {
    DBSnapshotIdentifier: ID,
    DBSnapshotArn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${ID}`,
    DBInstanceIdentifier: 'ai-gateway-db-use1',
    Status: 'available',
    SnapshotCreateTime: new Date('2030-01-01T06:00:05.000Z'),
    Engine: 'postgres',
    AllocatedStorage: 100,
    Encrypted: true,
    TagList: TAG_LIST,
    ...fields,
  };
}

function clusterSnapshot(fields: Partial<DBClusterSnapshot> = {}): DBClusterSnapshot {
  return {
    DBClusterSnapshotIdentifier: 'lifeboat-ai-gateway-drill-20300101-0600',
    DBClusterSnapshotArn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster-snapshot:lifeboat-ai-gateway-drill-20300101-0600`,
    DBClusterIdentifier: 'ai-gateway-drill-use1',
    Status: 'creating',
    SnapshotCreateTime: new Date('2030-01-01T06:00:05.000Z'),
    Engine: 'aurora-postgresql',
    AllocatedStorage: 1,
    StorageEncrypted: true,
    TagList: [{ Key: 'lifeboat:application', Value: 'ai-gateway-drill' }],
    ...fields,
  };
}

const fault = <T>(Fault: new (o: { message: string; $metadata: object }) => T): T =>
  new Fault({ message: 'injected', $metadata: {} });

beforeEach(() => {
  rds.reset();
  clientRegions.clear();
});

describe('RdsSnapshots.createSnapshot', () => {
  it('snapshots the DB instance in its region with the tags', async () => {
    rds.on(CreateDBSnapshotCommand).resolves({ DBSnapshot: dbSnapshot({ Status: 'creating' }) });

    const made = await snapshots().createSnapshot(INSTANCES, 'us-east-1', ID, TAGS);

    expect(rds).toHaveReceivedCommandWith(CreateDBSnapshotCommand, {
      DBSnapshotIdentifier: ID,
      DBInstanceIdentifier: 'ai-gateway-db-use1',
      Tags: TAG_LIST,
    });
    expect(regionsOf(rds.commandCalls(CreateDBSnapshotCommand))).toEqual(['us-east-1']);
    expect(made).toEqual({
      id: ID,
      arn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${ID}`,
      region: 'us-east-1',
      status: 'creating',
      createdAt: '2030-01-01T06:00:05.000Z',
      sourceId: 'ai-gateway-db-use1',
      engine: 'postgres',
      sizeGiB: 100,
      encrypted: true,
      tags: TAGS,
    });
  });

  it('returns the snapshot that already exists under the identifier (a second run of the slot)', async () => {
    rds.on(CreateDBSnapshotCommand).rejects(fault(DBSnapshotAlreadyExistsFault));
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot()] });

    const made = await snapshots().createSnapshot(INSTANCES, 'us-east-1', ID, TAGS);

    expect(made.status).toBe('available');
    expect(rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: ID });
  });

  it('snapshots the Aurora cluster with CreateDBClusterSnapshot', async () => {
    rds.on(CreateDBClusterSnapshotCommand).resolves({ DBClusterSnapshot: clusterSnapshot() });

    const made = await snapshots().createSnapshot(
      CLUSTERS,
      'us-east-1',
      'lifeboat-ai-gateway-drill-20300101-0600',
      { 'lifeboat:application': 'ai-gateway-drill' },
    );

    expect(rds).toHaveReceivedCommandWith(CreateDBClusterSnapshotCommand, {
      DBClusterSnapshotIdentifier: 'lifeboat-ai-gateway-drill-20300101-0600',
      DBClusterIdentifier: 'ai-gateway-drill-use1',
      Tags: [{ Key: 'lifeboat:application', Value: 'ai-gateway-drill' }],
    });
    expect(rds).toHaveReceivedCommandTimes(CreateDBSnapshotCommand, 0);
    expect(made).toMatchObject({ status: 'creating', engine: 'aurora-postgresql', encrypted: true });
  });
});

describe('RdsSnapshots.describeSnapshot', () => {
  it('returns undefined for a snapshot that is not there', async () => {
    rds.on(DescribeDBSnapshotsCommand).rejects(fault(DBSnapshotNotFoundFault));
    await expect(snapshots().describeSnapshot(INSTANCES, 'us-west-2', ID)).resolves.toBeUndefined();
    expect(regionsOf(rds.commandCalls(DescribeDBSnapshotsCommand))).toEqual(['us-west-2']);
  });

  it("gives a copy the original's creation time", async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        dbSnapshot({
          SnapshotCreateTime: new Date('2030-01-01T06:20:00.000Z'),
          OriginalSnapshotCreateTime: new Date('2030-01-01T06:00:05.000Z'),
        }),
      ],
    });
    await expect(snapshots().describeSnapshot(INSTANCES, 'us-west-2', ID)).resolves.toMatchObject({
      createdAt: '2030-01-01T06:00:05.000Z',
    });
  });
});

describe('RdsSnapshots.copySnapshot', () => {
  const source = {
    id: ID,
    arn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${ID}`,
    region: 'us-east-1',
    status: 'available' as const,
    createdAt: '2030-01-01T06:00:05.000Z',
    sourceId: 'ai-gateway-db-use1',
    engine: 'postgres',
    sizeGiB: 100,
    encrypted: true,
    tags: TAGS,
  };

  it('asks the destination region, names the source by ARN and encrypts with the destination key', async () => {
    rds.on(CopyDBSnapshotCommand).resolves({
      DBSnapshot: dbSnapshot({
        DBSnapshotArn: `arn:aws:rds:us-west-2:${ACCOUNT}:snapshot:${ID}`,
        Status: 'pending',
      }),
    });

    const copy = await snapshots().copySnapshot(INSTANCES, source, 'us-west-2', ID, {
      kmsKeyId: 'alias/ai-gateway-backups',
      tags: { 'lifeboat:application': 'ai-gateway', 'lifeboat:kind': 'backup-copy' },
    });

    expect(rds).toHaveReceivedCommandWith(CopyDBSnapshotCommand, {
      SourceDBSnapshotIdentifier: source.arn,
      TargetDBSnapshotIdentifier: ID,
      KmsKeyId: 'alias/ai-gateway-backups',
      CopyTags: false,
      Tags: [
        { Key: 'lifeboat:application', Value: 'ai-gateway' },
        { Key: 'lifeboat:kind', Value: 'backup-copy' },
      ],
    });
    // PreSignedUrl is the SDK middleware's job (from the ARN), not the adapter's.
    expect(rds.commandCalls(CopyDBSnapshotCommand)[0]?.args[0].input).not.toHaveProperty('PreSignedUrl');
    expect(regionsOf(rds.commandCalls(CopyDBSnapshotCommand))).toEqual(['us-west-2']);
    expect(copy).toMatchObject({ region: 'us-west-2', status: 'creating' });
  });

  it('gives the cluster copy a KMS key only when the source is encrypted', async () => {
    rds.on(CopyDBClusterSnapshotCommand).resolves({ DBClusterSnapshot: clusterSnapshot() });
    const clusterSource = {
      ...source,
      id: 'lifeboat-ai-gateway-drill-20300101-0600',
      arn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster-snapshot:lifeboat-ai-gateway-drill-20300101-0600`,
    };

    await snapshots().copySnapshot(CLUSTERS, clusterSource, 'us-west-2', clusterSource.id, {
      kmsKeyId: 'arn:aws:kms:us-west-2:123456789012:alias/ai-gateway-drill-backups',
      tags: {},
    });
    await snapshots().copySnapshot(CLUSTERS, { ...clusterSource, encrypted: false }, 'us-west-2', 'plain', {
      kmsKeyId: 'arn:aws:kms:us-west-2:123456789012:alias/ai-gateway-drill-backups',
      tags: {},
    });

    expect(rds.commandCalls(CopyDBClusterSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      {
        SourceDBClusterSnapshotIdentifier: clusterSource.arn,
        TargetDBClusterSnapshotIdentifier: clusterSource.id,
        KmsKeyId: 'arn:aws:kms:us-west-2:123456789012:alias/ai-gateway-drill-backups',
        CopyTags: false,
        Tags: [],
      },
      {
        SourceDBClusterSnapshotIdentifier: clusterSource.arn,
        TargetDBClusterSnapshotIdentifier: 'plain',
        CopyTags: false,
        Tags: [],
      },
    ]);
  });

  it('refuses a copy into the region the snapshot is already in', async () => {
    await expect(
      snapshots().copySnapshot(INSTANCES, source, 'us-east-1', ID, { kmsKeyId: 'k', tags: {} }),
    ).rejects.toThrow('already in us-east-1');
    expect(rds.calls()).toHaveLength(0);
  });
});

describe('RdsSnapshots.listSnapshots', () => {
  it("pages through the region's manual snapshots and keeps only the application's Lifeboat ones", async () => {
    rds
      .on(DescribeDBSnapshotsCommand, { SnapshotType: 'manual', MaxRecords: 100 })
      .resolves({
        DBSnapshots: [dbSnapshot(), dbSnapshot({ DBSnapshotIdentifier: 'team-before-upgrade', TagList: [] })],
        Marker: 'page-2',
      })
      .on(DescribeDBSnapshotsCommand, { SnapshotType: 'manual', MaxRecords: 100, Marker: 'page-2' })
      .resolves({
        DBSnapshots: [
          dbSnapshot({
            DBSnapshotIdentifier: 'lifeboat-other-20300101-0600',
            TagList: [{ Key: 'lifeboat:application', Value: 'other' }],
          }),
        ],
      });

    const found = await snapshots().listSnapshots(INSTANCES, 'us-west-2');

    expect(found.map((s) => s.id)).toEqual([ID]);
    expect(rds.commandCalls(DescribeDBSnapshotsCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotType: 'manual', MaxRecords: 100 },
      { SnapshotType: 'manual', MaxRecords: 100, Marker: 'page-2' },
    ]);
  });

  it('lists cluster snapshots for Aurora', async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [clusterSnapshot()] });
    const found = await snapshots().listSnapshots(CLUSTERS, 'us-west-2');
    expect(found).toHaveLength(1);
    expect(rds).toHaveReceivedCommandWith(DescribeDBClusterSnapshotsCommand, {
      SnapshotType: 'manual',
      MaxRecords: 100,
    });
  });
});

describe('RdsSnapshots.deleteSnapshot', () => {
  it('deletes a DB snapshot, and says gone when it is not there', async () => {
    rds
      .on(DeleteDBSnapshotCommand, { DBSnapshotIdentifier: ID })
      .resolves({})
      .on(DeleteDBSnapshotCommand, { DBSnapshotIdentifier: 'missing' })
      .rejects(fault(DBSnapshotNotFoundFault));

    await expect(snapshots().deleteSnapshot(INSTANCES, 'us-west-2', ID)).resolves.toBe('deleting');
    await expect(snapshots().deleteSnapshot(INSTANCES, 'us-west-2', 'missing')).resolves.toBe('gone');
    expect(rds.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { DBSnapshotIdentifier: ID },
      { DBSnapshotIdentifier: 'missing' },
    ]);
  });

  it('deletes a cluster snapshot for Aurora', async () => {
    rds.on(DeleteDBClusterSnapshotCommand).resolves({});
    await snapshots().deleteSnapshot(CLUSTERS, 'us-east-1', 'lifeboat-ai-gateway-drill-20300101-0600');
    expect(rds).toHaveReceivedCommandWith(DeleteDBClusterSnapshotCommand, {
      DBClusterSnapshotIdentifier: 'lifeboat-ai-gateway-drill-20300101-0600',
    });
  });
});

describe('RdsSnapshots.restore', () => {
  const options = {
    subnetGroupName: 'ai-gateway-restore-test',
    instanceClass: 'db.t4g.micro',
    tags: { 'lifeboat:application': 'ai-gateway', 'lifeboat:kind': 'restore-test' },
  };
  const tagList = [
    { Key: 'lifeboat:application', Value: 'ai-gateway' },
    { Key: 'lifeboat:kind', Value: 'restore-test' },
  ];
  const copy = {
    id: ID,
    arn: `arn:aws:rds:us-west-2:${ACCOUNT}:snapshot:${ID}`,
    region: 'us-west-2',
    status: 'available' as const,
    createdAt: '2030-01-01T06:00:05.000Z',
    sourceId: 'ai-gateway-db-use1',
    engine: 'postgres',
    sizeGiB: 100,
    encrypted: true,
    tags: TAGS,
  };

  it('restores a private single-AZ instance in the subnet group, in the copy’s region', async () => {
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});

    await expect(
      snapshots().restore(INSTANCES, copy, 'lifeboat-ai-gateway-20300101-0600', options),
    ).resolves.toBe('started');

    expect(rds).toHaveReceivedCommandWith(RestoreDBInstanceFromDBSnapshotCommand, {
      DBInstanceIdentifier: 'lifeboat-ai-gateway-20300101-0600',
      DBSnapshotIdentifier: ID,
      DBInstanceClass: 'db.t4g.micro',
      DBSubnetGroupName: 'ai-gateway-restore-test',
      MultiAZ: false,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: false,
      DeletionProtection: false,
      Tags: tagList,
    });
    expect(regionsOf(rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand))).toEqual(['us-west-2']);
  });

  it('says exists when the instance is already there', async () => {
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).rejects(fault(DBInstanceAlreadyExistsFault));
    await expect(snapshots().restore(INSTANCES, copy, 'x', options)).resolves.toBe('exists');
  });

  it('restores an Aurora cluster, and leaves its instance for when the cluster is available', async () => {
    rds.on(RestoreDBClusterFromSnapshotCommand).resolves({});
    const clusterCopy = {
      ...copy,
      id: 'lifeboat-ai-gateway-drill-20300101-0600',
      engine: 'aurora-postgresql',
    };

    await expect(
      snapshots().restore(CLUSTERS, clusterCopy, 'lifeboat-ai-gateway-drill-20300101-0600', {
        ...options,
        instanceClass: 'db.t4g.medium',
      }),
    ).resolves.toBe('started');

    expect(rds).toHaveReceivedCommandWith(RestoreDBClusterFromSnapshotCommand, {
      DBClusterIdentifier: 'lifeboat-ai-gateway-drill-20300101-0600',
      SnapshotIdentifier: 'lifeboat-ai-gateway-drill-20300101-0600',
      Engine: 'aurora-postgresql',
      DBSubnetGroupName: 'ai-gateway-restore-test',
      DeletionProtection: false,
      Tags: tagList,
    });
    // RDS refuses an instance in a cluster still being restored.
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceCommand);
  });

  it('says exists when the Aurora cluster is already there', async () => {
    rds.on(RestoreDBClusterFromSnapshotCommand).rejects(fault(DBClusterAlreadyExistsFault));
    await expect(
      snapshots().restore(CLUSTERS, { ...copy, engine: 'aurora-postgresql' }, 'x', options),
    ).resolves.toBe('exists');
  });

  it("creates the restored cluster's one instance once the cluster is available, and only once", async () => {
    const ID2 = 'lifeboat-ai-gateway-drill-20300101-0600';
    const finish = () =>
      snapshots().finishRestore(CLUSTERS, 'us-west-2', ID2, {
        instanceClass: 'db.t4g.medium',
        tags: options.tags,
      });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        { DBClusterIdentifier: ID2, Status: 'creating', Engine: 'aurora-postgresql', DBClusterMembers: [] },
      ],
    });
    await expect(finish()).resolves.toBe('waiting');
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceCommand);

    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        { DBClusterIdentifier: ID2, Status: 'available', Engine: 'aurora-postgresql', DBClusterMembers: [] },
      ],
    });
    rds.on(CreateDBInstanceCommand).resolves({});
    await expect(finish()).resolves.toBe('created');
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceCommand, {
      DBInstanceIdentifier: ID2,
      DBClusterIdentifier: ID2,
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.t4g.medium',
      PubliclyAccessible: false,
      Tags: tagList,
    });
    expect(regionsOf(rds.commandCalls(CreateDBInstanceCommand))).toEqual(['us-west-2']);

    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: ID2,
          Status: 'available',
          Engine: 'aurora-postgresql',
          DBClusterMembers: [{ DBInstanceIdentifier: ID2, IsClusterWriter: true }],
        },
      ],
    });
    await expect(finish()).resolves.toBe('done');
    expect(rds).toHaveReceivedCommandTimes(CreateDBInstanceCommand, 1);
    await expect(
      snapshots().finishRestore(INSTANCES, 'us-west-2', 'x', {
        instanceClass: 'db.t4g.micro',
        tags: options.tags,
      }),
    ).resolves.toBe('done');
  });
});

describe('RdsSnapshots.describeRestore and deleteRestore', () => {
  it('reports the instance and deletes it with no final snapshot', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { DBInstanceStatus: 'available', Engine: 'postgres', Endpoint: { Address: 'x.rds.amazonaws.com' } },
      ],
    });
    rds.on(DeleteDBInstanceCommand).resolves({});

    await expect(snapshots().describeRestore(INSTANCES, 'us-west-2', 'r1')).resolves.toEqual({
      id: 'r1',
      region: 'us-west-2',
      status: 'available',
      engine: 'postgres',
      endpoint: 'x.rds.amazonaws.com',
      resources: ['db:r1'],
    });
    await expect(snapshots().deleteRestore(INSTANCES, 'us-west-2', 'r1')).resolves.toEqual(['db:r1']);
    expect(rds).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: 'r1',
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'r1' });
  });

  it('reports a restore that failed as failed', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceStatus: 'incompatible-restore' }] });
    await expect(snapshots().describeRestore(INSTANCES, 'us-west-2', 'r1')).resolves.toMatchObject({
      status: 'failed',
    });
  });

  it('takes a busy instance as not yet deletable rather than an error', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'creating' }] });
    rds.on(DeleteDBInstanceCommand).rejects(fault(InvalidDBInstanceStateFault));
    await expect(snapshots().deleteRestore(INSTANCES, 'us-west-2', 'r1')).resolves.toEqual(['db:r1']);
  });

  it('deletes the Aurora cluster only once its instance is gone, then reports nothing left', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(fault(DBInstanceNotFoundFault));
    rds
      .on(DescribeDBClustersCommand)
      .resolvesOnce({ DBClusters: [{ Status: 'available', Engine: 'aurora-postgresql' }] })
      .resolves({ DBClusters: [] });
    rds.on(DeleteDBClusterCommand).resolves({});

    await expect(snapshots().deleteRestore(CLUSTERS, 'us-west-2', 'r2')).resolves.toEqual(['cluster:r2']);
    expect(rds).toHaveReceivedCommandWith(DeleteDBClusterCommand, {
      DBClusterIdentifier: 'r2',
      SkipFinalSnapshot: true,
    });
    expect(rds).toHaveReceivedCommandTimes(DeleteDBInstanceCommand, 0);
    await expect(snapshots().deleteRestore(CLUSTERS, 'us-west-2', 'r2')).resolves.toEqual([]);
    expect(rds).toHaveReceivedCommandTimes(DeleteDBClusterCommand, 1);
  });
});
