import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RebootDBInstanceCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { RdsDatabase } from '../../shared/aws/RdsDatabase.ts';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';

const rds = mockClient(RDSClient);
const config = loadConfig(EXAMPLE_CONFIG_PATH);
const APP = config.applications.find((a) => a.name === 'ai-gateway') as ApplicationConfig;
const DRILL = config.applications.find((a) => a.name === 'ai-gateway-drill') as ApplicationConfig;
const QUARANTINE = 'sg-0a1b2c3d4e5f60001';
const database = () => new RdsDatabase((region) => new RDSClient({ region }));

function instance(overrides: Partial<DBInstance>): DBInstance {
  return {
    DBInstanceIdentifier: 'ai-gateway-db-use1',
    DBInstanceArn: 'arn:aws:rds:us-east-1:123456789012:db:ai-gateway-db-use1',
    DBInstanceStatus: 'available',
    ReadReplicaDBInstanceIdentifiers: [],
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0123456789abcdef0', Status: 'active' }],
    ...overrides,
  };
}

beforeEach(() => {
  rds.reset();
});

describe('RdsDatabase quarantine', () => {
  it('moves a writable instance into the quarantine group alone, applied at once, and says what it had', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance({})] });
    rds.on(ModifyDBInstanceCommand).resolves({});

    await expect(database().quarantine(APP, 'us-east-1', QUARANTINE)).resolves.toEqual({
      phase: 'moved',
      securityGroupIds: ['sg-0123456789abcdef0'],
      status: 'available',
    });
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: 'ai-gateway-db-use1',
    });
    expect(rds.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      {
        DBInstanceIdentifier: 'ai-gateway-db-use1',
        VpcSecurityGroupIds: [QUARANTINE],
        ApplyImmediately: true,
      },
    ]);
  });

  it('changes nothing while the group is being added, and reports it isolated once active', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({
        DBInstances: [
          instance({ VpcSecurityGroups: [{ VpcSecurityGroupId: QUARANTINE, Status: 'adding' }] }),
        ],
      })
      .resolvesOnce({
        DBInstances: [
          instance({ VpcSecurityGroups: [{ VpcSecurityGroupId: QUARANTINE, Status: 'active' }] }),
        ],
      });

    await expect(database().quarantine(APP, 'us-east-1', QUARANTINE)).resolves.toMatchObject({
      phase: 'applying',
    });
    await expect(database().quarantine(APP, 'us-east-1', QUARANTINE)).resolves.toMatchObject({
      phase: 'isolated',
      securityGroupIds: [QUARANTINE],
    });
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });

  it('never touches a read replica, and says when the instance is gone', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({
        DBInstances: [
          instance({
            ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-west-2:123456789012:db:ai-gateway-db-usw2',
          }),
        ],
      })
      .rejectsOnce(
        new DBInstanceNotFoundFault({ message: 'DBInstance ai-gateway-db-use1 not found.', $metadata: {} }),
      );

    await expect(database().quarantine(APP, 'us-east-1', QUARANTINE)).resolves.toMatchObject({
      phase: 'replica',
    });
    await expect(database().quarantine(APP, 'us-east-1', QUARANTINE)).resolves.toMatchObject({
      phase: 'absent',
    });
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });

  it('reboots the configured instance of the region', async () => {
    rds.on(RebootDBInstanceCommand).resolves({});
    await database().reboot(APP, 'us-east-1');
    expect(rds.commandCalls(RebootDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: 'ai-gateway-db-use1' },
    ]);
  });

  it('refuses an Aurora global database, which rejoins its old primary itself', async () => {
    await expect(database().quarantine(DRILL, 'us-east-1', QUARANTINE)).rejects.toThrow(
      /Aurora global database/,
    );
  });
});
