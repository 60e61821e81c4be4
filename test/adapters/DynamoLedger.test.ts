import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import type { LockLease, RunRecord } from '../../shared/ports/Ledger.ts';

const TABLE = 'lifeboat-ledger';
const ddb = mockClient(DynamoDBClient);

function ledger(): DynamoLedger {
  return new DynamoLedger(new DynamoDBClient({ region: 'us-east-1' }), TABLE);
}

const FULL_RUN: RunRecord = {
  application: 'ai-gateway',
  kind: 'failover',
  executionName: 'failover-ai-gateway-0001',
  startedAt: '2026-11-22T06:00:00.000Z',
  endedAt: '2026-11-22T06:05:12.345Z',
  status: 'SUCCEEDED',
  reason: 'Promoted the us-west-2 replica and moved traffic.',
  error: { name: 'ThrottlingException', cause: 'Rate exceeded' },
  details: { rtoSeconds: 312, steps: [{ name: 'promote', ok: true }], rds: { snapshot: null } },
};

/** FULL_RUN as DynamoDB stores it, key attributes included. */
const FULL_RUN_ITEM: Record<string, AttributeValue> = {
  pk: { S: 'APP#ai-gateway' },
  sk: { S: 'RUN#failover#2026-11-22T06:00:00.000Z#failover-ai-gateway-0001' },
  gsi1pk: { S: 'KIND#failover' },
  gsi1sk: { S: '2026-11-22T06:00:00.000Z#ai-gateway#failover-ai-gateway-0001' },
  application: { S: 'ai-gateway' },
  kind: { S: 'failover' },
  executionName: { S: 'failover-ai-gateway-0001' },
  startedAt: { S: '2026-11-22T06:00:00.000Z' },
  endedAt: { S: '2026-11-22T06:05:12.345Z' },
  status: { S: 'SUCCEEDED' },
  reason: { S: 'Promoted the us-west-2 replica and moved traffic.' },
  error: { M: { name: { S: 'ThrottlingException' }, cause: { S: 'Rate exceeded' } } },
  details: {
    M: {
      rtoSeconds: { N: '312' },
      steps: { L: [{ M: { name: { S: 'promote' }, ok: { BOOL: true } } }] },
      rds: { M: { snapshot: { NULL: true } } },
    },
  },
};

const MINIMAL_RUN: RunRecord = {
  application: 'billing',
  kind: 'drill',
  executionName: 'drill-billing-0007',
  startedAt: '2026-11-21T03:00:00.000Z',
  status: 'RUNNING',
};

const MINIMAL_RUN_ITEM: Record<string, AttributeValue> = {
  pk: { S: 'APP#billing' },
  sk: { S: 'RUN#drill#2026-11-21T03:00:00.000Z#drill-billing-0007' },
  gsi1pk: { S: 'KIND#drill' },
  gsi1sk: { S: '2026-11-21T03:00:00.000Z#billing#drill-billing-0007' },
  application: { S: 'billing' },
  kind: { S: 'drill' },
  executionName: { S: 'drill-billing-0007' },
  startedAt: { S: '2026-11-21T03:00:00.000Z' },
  status: { S: 'RUNNING' },
};

const LOCK_KEY = { pk: { S: 'APP#ai-gateway' }, sk: { S: 'LOCK' } };

const NOW = new Date('2026-11-22T06:00:00.250Z');

const HOLDER: LockLease = {
  application: 'ai-gateway',
  owner: 'failover-ai-gateway-0001',
  acquiredAt: '2026-11-22T05:58:00.000Z',
  leaseExpiresAt: '2026-11-22T06:13:00.000Z',
};

const HOLDER_ITEM: Record<string, AttributeValue> = {
  ...LOCK_KEY,
  application: { S: HOLDER.application },
  owner: { S: HOLDER.owner },
  acquiredAt: { S: HOLDER.acquiredAt },
  leaseExpiresAt: { S: HOLDER.leaseExpiresAt },
  leaseExpiresAtEpoch: { N: '1795327980' },
  expiresAt: { N: '1795414380' },
};

/** The exact PutItem input of an acquire by `drill-ai-gateway-0002` at NOW for 900 seconds. */
const ACQUIRE_INPUT = {
  TableName: TABLE,
  Item: {
    ...LOCK_KEY,
    application: { S: 'ai-gateway' },
    owner: { S: 'drill-ai-gateway-0002' },
    acquiredAt: { S: '2026-11-22T06:00:00.250Z' },
    leaseExpiresAt: { S: '2026-11-22T06:15:00.250Z' },
    leaseExpiresAtEpoch: { N: '1795328100.25' },
    expiresAt: { N: '1795414501' },
  },
  ConditionExpression: 'attribute_not_exists(#pk) OR #leaseExpiresAtEpoch < :now OR #owner = :owner',
  ExpressionAttributeNames: { '#pk': 'pk', '#leaseExpiresAtEpoch': 'leaseExpiresAtEpoch', '#owner': 'owner' },
  ExpressionAttributeValues: { ':now': { N: '1795327200.25' }, ':owner': { S: 'drill-ai-gateway-0002' } },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
};

function conditionFailed(item?: Record<string, AttributeValue>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item === undefined ? {} : { Item: item }),
  });
}

function throttled(): ProvisionedThroughputExceededException {
  return new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} });
}

beforeEach(() => {
  ddb.reset();
});

describe('DynamoLedger', () => {
  describe('putRun', () => {
    it('writes every run field plus the table and index keys when the run is complete', async () => {
      ddb.on(PutItemCommand).resolves({});
      await ledger().putRun(FULL_RUN);
      expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
      expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
        TableName: TABLE,
        Item: FULL_RUN_ITEM,
      });
    });

    it('writes no attribute for an optional field when the run leaves it out', async () => {
      ddb.on(PutItemCommand).resolves({});
      await ledger().putRun(MINIMAL_RUN);
      expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
        TableName: TABLE,
        Item: MINIMAL_RUN_ITEM,
      });
    });

    it('writes only RunRecord fields when the object carries more', async () => {
      ddb.on(PutItemCommand).resolves({});
      const withExtras = { ...MINIMAL_RUN, token: 'secret', pk: 'APP#someone-else' };
      await ledger().putRun(withExtras);
      expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item).toEqual(MINIMAL_RUN_ITEM);
    });

    it('writes nothing and says why when startedAt is not in toISOString form', async () => {
      await expect(ledger().putRun({ ...MINIMAL_RUN, startedAt: '2026-11-21T03:00:00Z' })).rejects.toThrow(
        /drill-billing-0007 has startedAt "2026-11-21T03:00:00Z"; expected ISO-8601 UTC with milliseconds/,
      );
      expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 0);
    });

    it('propagates a DynamoDB error unchanged when the write fails', async () => {
      const error = throttled();
      ddb.on(PutItemCommand).rejects(error);
      await expect(ledger().putRun(FULL_RUN)).rejects.toBe(error);
    });
  });

  describe('listRuns', () => {
    it('sends one consistent Query on the application partition for the kind, newest first', async () => {
      ddb.on(QueryCommand).resolves({ Items: [] });
      await ledger().listRuns('ai-gateway', 'failover', 5);
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
      expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toEqual({
        TableName: TABLE,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': { S: 'APP#ai-gateway' }, ':prefix': { S: 'RUN#failover#' } },
        ScanIndexForward: false,
        Limit: 5,
        ConsistentRead: true,
      });
    });

    it('returns the runs without key attributes in the order DynamoDB gave them', async () => {
      ddb.on(QueryCommand).resolves({ Items: [FULL_RUN_ITEM, MINIMAL_RUN_ITEM] });
      const runs = await ledger().listRuns('ai-gateway', 'failover', 2);
      expect(runs).toEqual([FULL_RUN, MINIMAL_RUN]);
      expect(Object.keys(runs[1]!).sort()).toEqual([
        'application',
        'executionName',
        'kind',
        'startedAt',
        'status',
      ]);
    });

    it('returns an empty list when the response has no items', async () => {
      ddb.on(QueryCommand).resolves({});
      await expect(ledger().listRuns('ai-gateway', 'backup', 3)).resolves.toEqual([]);
    });

    it('rejects a limit below one without querying', async () => {
      await expect(ledger().listRuns('ai-gateway', 'backup', 0)).rejects.toThrow(
        'limit must be a positive integer, got 0',
      );
      await expect(ledger().listRuns('ai-gateway', 'backup', 1.5)).rejects.toThrow(RangeError);
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 0);
    });

    it('names the item when a stored run lacks a field', async () => {
      const broken = { ...MINIMAL_RUN_ITEM };
      delete broken.status;
      ddb.on(QueryCommand).resolves({ Items: [broken] });
      await expect(ledger().listRuns('billing', 'drill', 1)).rejects.toThrow(
        'Ledger run item APP#billing / RUN#drill#2026-11-21T03:00:00.000Z#drill-billing-0007 has no string attribute status',
      );
    });

    it('propagates a DynamoDB error unchanged when the query fails', async () => {
      const error = throttled();
      ddb.on(QueryCommand).rejects(error);
      await expect(ledger().listRuns('ai-gateway', 'failover', 1)).rejects.toBe(error);
    });
  });

  describe('listRunsByKind', () => {
    it('sends one Query on the byKind index for the kind, newest first', async () => {
      ddb.on(QueryCommand).resolves({ Items: [] });
      await ledger().listRunsByKind('drill', 10);
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
      expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toEqual({
        TableName: TABLE,
        IndexName: 'byKind',
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'gsi1pk' },
        ExpressionAttributeValues: { ':pk': { S: 'KIND#drill' } },
        ScanIndexForward: false,
        Limit: 10,
      });
    });

    it('returns the runs without key attributes when the index has some', async () => {
      ddb.on(QueryCommand).resolves({ Items: [MINIMAL_RUN_ITEM] });
      await expect(ledger().listRunsByKind('drill', 10)).resolves.toEqual([MINIMAL_RUN]);
    });

    it('rejects a limit below one without querying', async () => {
      await expect(ledger().listRunsByKind('drill', -1)).rejects.toThrow(RangeError);
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 0);
    });
  });

  describe('acquireLock', () => {
    it('sends one conditional PutItem with the lease and TTL attributes when the lock is free', async () => {
      ddb.on(PutItemCommand).resolves({});
      const result = await ledger().acquireLock('ai-gateway', 'drill-ai-gateway-0002', NOW, 900);
      expect(result).toEqual({
        acquired: true,
        lease: {
          application: 'ai-gateway',
          owner: 'drill-ai-gateway-0002',
          acquiredAt: '2026-11-22T06:00:00.250Z',
          leaseExpiresAt: '2026-11-22T06:15:00.250Z',
        },
      });
      expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
      expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 0);
      expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual(ACQUIRE_INPUT);
    });

    it("keeps the holder's purpose with the lease, and reads it back", async () => {
      ddb.on(PutItemCommand).resolves({});
      const purpose = { workflow: 'failover', targetRegion: 'us-west-2' };
      const result = await ledger().acquireLock('ai-gateway', 'auto-ai-gateway-1', NOW, 900, purpose);
      expect(result).toMatchObject({ acquired: true, lease: { owner: 'auto-ai-gateway-1', purpose } });
      expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item).toMatchObject({
        purposeWorkflow: { S: 'failover' },
        purposeTargetRegion: { S: 'us-west-2' },
      });
      ddb.on(GetItemCommand).resolves({
        Item: {
          ...HOLDER_ITEM,
          purposeWorkflow: { S: 'failover' },
          purposeTargetRegion: { S: 'us-west-2' },
        },
      });
      await expect(ledger().getLock('ai-gateway')).resolves.toEqual({ ...HOLDER, purpose });
    });

    it('returns the holder from the failed condition without reading when DynamoDB returns the item', async () => {
      ddb.on(PutItemCommand).rejects(conditionFailed(HOLDER_ITEM));
      const result = await ledger().acquireLock('ai-gateway', 'drill-ai-gateway-0002', NOW, 900);
      expect(result).toEqual({ acquired: false, heldBy: HOLDER });
      expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
      expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 0);
    });

    it('reads the holder with a consistent GetItem when the failed condition carries no item', async () => {
      ddb.on(PutItemCommand).rejects(conditionFailed());
      ddb.on(GetItemCommand).resolves({ Item: HOLDER_ITEM });
      const result = await ledger().acquireLock('ai-gateway', 'drill-ai-gateway-0002', NOW, 900);
      expect(result).toEqual({ acquired: false, heldBy: HOLDER });
      expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 1);
      expect(ddb.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({
        TableName: TABLE,
        Key: LOCK_KEY,
        ConsistentRead: true,
      });
    });

    it('tries again when the holder released the lock between the refusal and the read', async () => {
      ddb.on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({});
      ddb.on(GetItemCommand).resolves({});
      const result = await ledger().acquireLock('ai-gateway', 'drill-ai-gateway-0002', NOW, 900);
      expect(result.acquired).toBe(true);
      expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 2);
      expect(ddb.commandCalls(PutItemCommand)[1]!.args[0].input).toEqual(ACQUIRE_INPUT);
    });

    it('gives up with a clear error when the lock is refused yet free on every read', async () => {
      ddb.on(PutItemCommand).rejects(conditionFailed());
      ddb.on(GetItemCommand).resolves({});
      await expect(ledger().acquireLock('ai-gateway', 'drill-ai-gateway-0002', NOW, 900)).rejects.toThrow(
        /Could not acquire the lock of ai-gateway for drill-ai-gateway-0002: it was refused 3 times/,
      );
      expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 3);
    });

    it('propagates any other DynamoDB error unchanged without reading the lock', async () => {
      const error = throttled();
      ddb.on(PutItemCommand).rejects(error);
      await expect(ledger().acquireLock('ai-gateway', 'drill-ai-gateway-0002', NOW, 900)).rejects.toBe(error);
      expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 0);
    });

    it('propagates an error of the holder read unchanged when the read fails', async () => {
      const error = throttled();
      ddb.on(PutItemCommand).rejects(conditionFailed());
      ddb.on(GetItemCommand).rejects(error);
      await expect(ledger().acquireLock('ai-gateway', 'drill-ai-gateway-0002', NOW, 900)).rejects.toBe(error);
    });

    it('rejects a lease that is not a positive number or a now that is not a date without writing', async () => {
      await expect(ledger().acquireLock('ai-gateway', 'x', NOW, 0)).rejects.toThrow(
        'Cannot acquire the lock of ai-gateway: leaseSeconds must be a positive number, got 0',
      );
      await expect(ledger().acquireLock('ai-gateway', 'x', NOW, Number.NaN)).rejects.toThrow(RangeError);
      await expect(ledger().acquireLock('ai-gateway', 'x', new Date('nope'), 60)).rejects.toThrow(
        'Cannot acquire the lock of ai-gateway: now is an invalid date',
      );
      expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 0);
    });
  });

  describe('releaseLock', () => {
    it('sends a DeleteItem conditional on the owner and returns true when the owner holds the lock', async () => {
      ddb.on(DeleteItemCommand).resolves({});
      await expect(ledger().releaseLock('ai-gateway', 'failover-ai-gateway-0001')).resolves.toBe(true);
      expect(ddb).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
      expect(ddb.commandCalls(DeleteItemCommand)[0]!.args[0].input).toEqual({
        TableName: TABLE,
        Key: LOCK_KEY,
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': { S: 'failover-ai-gateway-0001' } },
      });
    });

    it('returns false when the condition fails because someone else holds the lock or nobody does', async () => {
      ddb.on(DeleteItemCommand).rejects(conditionFailed());
      await expect(ledger().releaseLock('ai-gateway', 'drill-ai-gateway-0002')).resolves.toBe(false);
    });

    it('propagates any other DynamoDB error unchanged', async () => {
      const error = throttled();
      ddb.on(DeleteItemCommand).rejects(error);
      await expect(ledger().releaseLock('ai-gateway', 'failover-ai-gateway-0001')).rejects.toBe(error);
    });
  });

  describe('getLock', () => {
    it('reads the lock item with a consistent GetItem and returns the lease', async () => {
      ddb.on(GetItemCommand).resolves({ Item: HOLDER_ITEM });
      await expect(ledger().getLock('ai-gateway')).resolves.toEqual(HOLDER);
      expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 1);
      expect(ddb.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({
        TableName: TABLE,
        Key: LOCK_KEY,
        ConsistentRead: true,
      });
    });

    it('returns undefined when there is no lock item', async () => {
      ddb.on(GetItemCommand).resolves({});
      await expect(ledger().getLock('ai-gateway')).resolves.toBeUndefined();
    });

    it('propagates a DynamoDB error unchanged when the read fails', async () => {
      const error = throttled();
      ddb.on(GetItemCommand).rejects(error);
      await expect(ledger().getLock('ai-gateway')).rejects.toBe(error);
    });
  });
});

describe('DynamoLedger.listRunsBetween', () => {
  it('queries one application’s runs of one kind between two start times, newest first, in one Query', async () => {
    const client = new DynamoDBClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(QueryCommand).resolves({ Items: [] });
    await new DynamoLedger(client, 'lifeboat-ledger').listRunsBetween(
      'ai-gateway',
      'drill',
      { from: '2030-01-01T00:00:00.000Z', to: '2030-01-31T23:59:59.999Z' },
      25,
    );
    expect(mock).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(mock).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'lifeboat-ledger',
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: {
        ':pk': { S: 'APP#ai-gateway' },
        ':from': { S: 'RUN#drill#2030-01-01T00:00:00.000Z' },
        ':to': { S: 'RUN#drill#2030-01-31T23:59:59.999Z~' },
      },
      ScanIndexForward: false,
      Limit: 25,
      ConsistentRead: true,
    });
  });
});
