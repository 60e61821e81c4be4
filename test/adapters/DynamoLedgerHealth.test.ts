import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';

describe('DynamoLedger health records', () => {
  const dynamo = mockClient(DynamoDBClient);
  beforeEach(() => dynamo.reset());
  const ledger = () => new DynamoLedger(new DynamoDBClient({ region: 'us-west-2' }), 'lifeboat-ledger');

  it('writes a health record only when the state changes, with one conditional PutItem', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await ledger().recordHealth({
      application: 'ai-gateway',
      region: 'us-east-1',
      state: 'OK',
      since: '2030-01-01T00:30:20.000Z',
    });
    expect(dynamo.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'lifeboat-ledger',
      Item: {
        pk: { S: 'APP#ai-gateway' },
        sk: { S: 'HEALTH#us-east-1' },
        application: { S: 'ai-gateway' },
        region: { S: 'us-east-1' },
        state: { S: 'OK' },
        since: { S: '2030-01-01T00:30:20.000Z' },
      },
      ConditionExpression: 'attribute_not_exists(#pk) OR #state <> :state',
      ExpressionAttributeNames: { '#pk': 'pk', '#state': 'state' },
      ExpressionAttributeValues: { ':state': { S: 'OK' } },
    });
  });

  it('treats a repeat of the recorded state as done, keeping when it began', async () => {
    dynamo.on(PutItemCommand).rejects(
      Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
      }),
    );
    await expect(
      ledger().recordHealth({ application: 'ai-gateway', region: 'us-east-1', state: 'OK', since: 'x' }),
    ).resolves.toBeUndefined();
  });

  it('passes other errors on unchanged', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    dynamo.on(PutItemCommand).rejects(throttled);
    await expect(
      ledger().recordHealth({ application: 'a', region: 'r', state: 'ALARM', since: 'x' }),
    ).rejects.toBe(throttled);
  });

  it('reads a health record with a consistent GetItem', async () => {
    dynamo
      .on(GetItemCommand)
      .resolves({ Item: { state: { S: 'OK' }, since: { S: '2030-01-01T00:30:20.000Z' } } });
    expect(await ledger().getHealth('ai-gateway', 'us-east-1')).toEqual({
      application: 'ai-gateway',
      region: 'us-east-1',
      state: 'OK',
      since: '2030-01-01T00:30:20.000Z',
    });
    expect(dynamo.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'lifeboat-ledger',
      Key: { pk: { S: 'APP#ai-gateway' }, sk: { S: 'HEALTH#us-east-1' } },
      ConsistentRead: true,
    });
  });
});
