import {
  CreateDBInstanceReadReplicaCommand,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { RdsDatabase } from '../../shared/aws/RdsDatabase.ts';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';

const ACCOUNT = '123456789012';
const USE1_ARN = `arn:aws:rds:us-east-1:${ACCOUNT}:db:ai-gateway-db-use1`;
const USW2_ARN = `arn:aws:rds:us-west-2:${ACCOUNT}:db:ai-gateway-db-usw2`;
const USE1_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/**
 * The example config, with `database.replicas` for ai-gateway: everything in us-east-1, only the
 * subnet group in us-west-2, nothing for eu-west-1.
 */
const config = (() => {
  const document = exampleConfigDocument();
  const app = document.applications[0] as { name: string; database: Record<string, unknown> };
  if (app.name !== 'ai-gateway') throw new Error('the example config’s first application is not ai-gateway');
  app.database.replicas = {
    'us-east-1': {
      dbSubnetGroupName: 'ai-gateway-db-use1',
      vpcSecurityGroupIds: ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'],
      kmsKeyId: USE1_KEY,
    },
    'us-west-2': { dbSubnetGroupName: 'ai-gateway-db-usw2' },
  };
  return parseConfig(document, 'test config');
})();

function application(name: string): ApplicationConfig {
  const app = config.applications.find((a) => a.name === name);
  if (app === undefined) throw new Error(`the config has no application ${name}`);
  return app;
}

const REPLICATED = application('ai-gateway');
const GLOBAL = application('ai-gateway-drill');

const rds = mockClient(RDSClient);

/** The region each client was made for, so a test can tell which region a request went to. */
const clientRegions = new Map<unknown, string>();

function database(): RdsDatabase {
  return new RdsDatabase((region) => {
    const client = new RDSClient({ region });
    clientRegions.set(client, region);
    return client;
  });
}

/** Every request sent, in order, with the region of the client that sent it. */
function sent(): { region: string | undefined; command: string; input: unknown }[] {
  return rds.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: unknown };
    return {
      region: clientRegions.get(call.thisValue),
      command: command.constructor.name,
      input: command.input,
    };
  });
}

const meta = { $metadata: { httpStatusCode: 404 } };

beforeEach(() => {
  rds.reset();
  clientRegions.clear();
});

describe('RdsDatabase.retire', () => {
  it('renames the region’s configured instance at once and keeps it', async () => {
    rds.on(ModifyDBInstanceCommand).resolves({ DBInstance: { DBInstanceIdentifier: 'ai-gateway-db-use1' } });

    await expect(
      database().retire(REPLICATED, 'us-east-1', 'ai-gateway-db-use1-retired-20261122t0600'),
    ).resolves.toBe('renamed');

    expect(sent()).toEqual([
      {
        region: 'us-east-1',
        command: 'ModifyDBInstanceCommand',
        input: {
          DBInstanceIdentifier: 'ai-gateway-db-use1',
          NewDBInstanceIdentifier: 'ai-gateway-db-use1-retired-20261122t0600',
          ApplyImmediately: true,
        },
      },
    ]);
  });

  it('answers absent when no instance has the configured identifier', async () => {
    rds
      .on(ModifyDBInstanceCommand)
      .rejects(new DBInstanceNotFoundFault({ message: 'DBInstance ai-gateway-db-use1 not found.', ...meta }));

    await expect(database().retire(REPLICATED, 'us-east-1', 'ai-gateway-db-use1-retired')).resolves.toBe(
      'absent',
    );
  });

  it('answers absent to the wire code DBInstanceNotFound too', async () => {
    const error = Object.assign(new Error('DBInstance not found'), { name: 'DBInstanceNotFound' });
    rds.on(ModifyDBInstanceCommand).rejects(error);

    await expect(database().retire(REPLICATED, 'us-east-1', 'ai-gateway-db-use1-retired')).resolves.toBe(
      'absent',
    );
  });

  it('propagates any other error unchanged', async () => {
    const error = new InvalidDBInstanceStateFault({
      message: 'Instance ai-gateway-db-use1 is not in available state.',
      $metadata: { httpStatusCode: 400 },
    });
    rds.on(ModifyDBInstanceCommand).rejects(error);

    await expect(database().retire(REPLICATED, 'us-east-1', 'x-retired')).rejects.toBe(error);
  });

  it('fails, sending nothing, when the region has no configured instance', async () => {
    await expect(database().retire(REPLICATED, 'ap-south-1', 'x-retired')).rejects.toThrow(
      'Application ai-gateway has no DB instance in ap-south-1',
    );
    expect(rds.calls()).toHaveLength(0);
  });

  it('fails clearly, sending nothing, for an Aurora global database', async () => {
    await expect(database().retire(GLOBAL, 'us-east-1', 'x-retired')).rejects.toThrow(
      'ai-gateway-drill uses an Aurora global database, which re-adds its old primary as a secondary itself',
    );
    expect(rds.calls()).toHaveLength(0);
  });
});

describe('RdsDatabase.createReplica', () => {
  it('reads the source’s ARN in the source region, then creates the replica in the region with every configured option', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceIdentifier: 'ai-gateway-db-usw2', DBInstanceArn: USW2_ARN }] });
    rds
      .on(CreateDBInstanceReadReplicaCommand)
      .resolves({ DBInstance: { DBInstanceIdentifier: 'ai-gateway-db-use1' } });

    await expect(database().createReplica(REPLICATED, 'us-east-1', 'us-west-2')).resolves.toBe('started');

    expect(sent()).toEqual([
      {
        region: 'us-west-2',
        command: 'DescribeDBInstancesCommand',
        input: { DBInstanceIdentifier: 'ai-gateway-db-usw2' },
      },
      {
        region: 'us-east-1',
        command: 'CreateDBInstanceReadReplicaCommand',
        input: {
          DBInstanceIdentifier: 'ai-gateway-db-use1',
          SourceDBInstanceIdentifier: USW2_ARN,
          DBSubnetGroupName: 'ai-gateway-db-use1',
          VpcSecurityGroupIds: ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'],
          KmsKeyId: USE1_KEY,
          Tags: [
            { Key: 'lifeboat:application', Value: 'ai-gateway' },
            { Key: 'lifeboat:role', Value: 'replica' },
          ],
        },
      },
    ]);
  });

  it('sends only the options the region configures', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceArn: USE1_ARN }] });
    rds.on(CreateDBInstanceReadReplicaCommand).resolves({});

    await database().createReplica(REPLICATED, 'us-west-2', 'us-east-1');

    expect(sent()[1]).toEqual({
      region: 'us-west-2',
      command: 'CreateDBInstanceReadReplicaCommand',
      input: {
        DBInstanceIdentifier: 'ai-gateway-db-usw2',
        SourceDBInstanceIdentifier: USE1_ARN,
        DBSubnetGroupName: 'ai-gateway-db-usw2',
        Tags: [
          { Key: 'lifeboat:application', Value: 'ai-gateway' },
          { Key: 'lifeboat:role', Value: 'replica' },
        ],
      },
    });
  });

  it('sends no options when the region has no replicas entry', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceArn: USE1_ARN }] });
    rds.on(CreateDBInstanceReadReplicaCommand).resolves({});

    await database().createReplica(REPLICATED, 'eu-west-1', 'us-east-1');

    expect(sent()[1]).toEqual({
      region: 'eu-west-1',
      command: 'CreateDBInstanceReadReplicaCommand',
      input: {
        DBInstanceIdentifier: 'ai-gateway-db-euw1',
        SourceDBInstanceIdentifier: USE1_ARN,
        Tags: [
          { Key: 'lifeboat:application', Value: 'ai-gateway' },
          { Key: 'lifeboat:role', Value: 'replica' },
        ],
      },
    });
  });

  it('fails, creating nothing, naming the config field, when an encrypted source has no KMS key for the region', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceArn: USE1_ARN, StorageEncrypted: true }] });

    await expect(database().createReplica(REPLICATED, 'us-west-2', 'us-east-1')).rejects.toThrow(
      "ai-gateway's database in us-east-1 is encrypted, so its replica in us-west-2 needs a KMS key of us-west-2: set database.replicas.us-west-2.kmsKeyId of ai-gateway in the config",
    );
    expect(rds).toHaveReceivedCommandTimes(CreateDBInstanceReadReplicaCommand, 0);
  });

  it('says, reading the source alone, what stands in the way of a replica: an encrypted source and no KMS key', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceArn: USE1_ARN, StorageEncrypted: true }] });

    await expect(database().replicaProblem(REPLICATED, 'us-west-2', 'us-east-1')).resolves.toBe(
      "ai-gateway's database in us-east-1 is encrypted, so its replica in us-west-2 needs a KMS key of us-west-2: set database.replicas.us-west-2.kmsKeyId of ai-gateway in the config",
    );
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, {
      DBInstanceIdentifier: 'ai-gateway-db-use1',
    });
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 1);
    expect(rds).toHaveReceivedCommandTimes(CreateDBInstanceReadReplicaCommand, 0);

    rds.reset();
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceArn: USE1_ARN, StorageEncrypted: false }] });
    await expect(database().replicaProblem(REPLICATED, 'us-west-2', 'us-east-1')).resolves.toBeUndefined();
  });

  it('creates the replica of an encrypted source with the region’s KMS key', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceArn: USW2_ARN, StorageEncrypted: true }] });
    rds.on(CreateDBInstanceReadReplicaCommand).resolves({});

    await expect(database().createReplica(REPLICATED, 'us-east-1', 'us-west-2')).resolves.toBe('started');
    expect(sent()[1]?.input).toMatchObject({ SourceDBInstanceIdentifier: USW2_ARN, KmsKeyId: USE1_KEY });
  });

  it('answers busy while the identifier is still taken', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceArn: USW2_ARN }] });
    rds.on(CreateDBInstanceReadReplicaCommand).rejects(
      new DBInstanceAlreadyExistsFault({
        message: 'DB instance already exists',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await expect(database().createReplica(REPLICATED, 'us-east-1', 'us-west-2')).resolves.toBe('busy');
  });

  it('answers busy to the wire code DBInstanceAlreadyExists too', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceArn: USW2_ARN }] });
    rds
      .on(CreateDBInstanceReadReplicaCommand)
      .rejects(Object.assign(new Error('DB instance already exists'), { name: 'DBInstanceAlreadyExists' }));

    await expect(database().createReplica(REPLICATED, 'us-east-1', 'us-west-2')).resolves.toBe('busy');
  });

  it('propagates a failure to find the source, creating nothing', async () => {
    const error = new DBInstanceNotFoundFault({
      message: 'DBInstance ai-gateway-db-usw2 not found.',
      ...meta,
    });
    rds.on(DescribeDBInstancesCommand).rejects(error);

    await expect(database().createReplica(REPLICATED, 'us-east-1', 'us-west-2')).rejects.toBe(error);
    expect(rds).toHaveReceivedCommandTimes(CreateDBInstanceReadReplicaCommand, 0);
  });

  it('fails, creating nothing, when the source has no ARN', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceIdentifier: 'ai-gateway-db-usw2' }] });

    await expect(database().createReplica(REPLICATED, 'us-east-1', 'us-west-2')).rejects.toThrow(
      'DescribeDBInstances in us-west-2 gave no ARN for the source instance',
    );
    expect(rds).toHaveReceivedCommandTimes(CreateDBInstanceReadReplicaCommand, 0);
  });

  it('fails, creating nothing, when the source region answers with no instance', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });

    await expect(database().createReplica(REPLICATED, 'us-east-1', 'us-west-2')).rejects.toThrow(
      'DescribeDBInstances in us-west-2 returned no ai-gateway-db-usw2',
    );
    expect(rds).toHaveReceivedCommandTimes(CreateDBInstanceReadReplicaCommand, 0);
  });

  it('propagates any other creation error unchanged', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceArn: USW2_ARN }] });
    const error = Object.assign(new Error('The source instance is encrypted; a KmsKeyId is required'), {
      name: 'InvalidParameterCombination',
    });
    rds.on(CreateDBInstanceReadReplicaCommand).rejects(error);

    await expect(database().createReplica(REPLICATED, 'eu-west-1', 'us-west-2')).rejects.toBe(error);
  });

  it.each([
    ['the region', 'ap-south-1', 'us-west-2'],
    ['the source region', 'us-east-1', 'ap-south-1'],
  ])('fails, sending nothing, when %s has no configured instance', async (_, region, source) => {
    await expect(database().createReplica(REPLICATED, region, source)).rejects.toThrow(
      'Application ai-gateway has no DB instance in ap-south-1',
    );
    expect(rds.calls()).toHaveLength(0);
  });

  it('fails clearly, sending nothing, for an Aurora global database', async () => {
    await expect(database().createReplica(GLOBAL, 'us-east-1', 'us-west-2')).rejects.toThrow(
      'ai-gateway-drill uses an Aurora global database, which re-adds its old primary as a secondary itself',
    );
    expect(rds.calls()).toHaveLength(0);
  });
});
