import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoApprovals } from '../../shared/aws/DynamoApprovals.ts';
import type { ApprovalRecord } from '../../shared/ports/Approvals.ts';
import { EmbeddedDynamo } from '../../local/ledger/EmbeddedDynamo.ts';

const T0 = Date.parse('2026-11-22T06:00:00.000Z');

function at(offsetSeconds: number): Date {
  return new Date(T0 + offsetSeconds * 1000);
}

/** A step approval created at T0 that stays open for an hour. */
function stepApproval(id: string, fields: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id,
    kind: 'step',
    application: 'ai-gateway',
    workflow: 'failover',
    targetRegion: 'us-west-2',
    executionName: 'failover-ai-gateway-0001',
    taskToken: 'AQCEAAAAKgAAAAMAAAAAAAAAAexampletoken==',
    channel: 'C0LIFEBOAT1',
    summary: '*Fail ai-gateway over to us-west-2?* (failover-ai-gateway-0001) us-east-1 is down.',
    status: 'PENDING',
    createdAt: at(0).toISOString(),
    expiresAt: at(3600).toISOString(),
    ...fields,
  };
}

/** A failback offer: no execution waits on it; approving it starts one. */
function offer(id: string, fields: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const step = stepApproval(id, {
    kind: 'offer',
    workflow: 'failback',
    targetRegion: 'us-east-1',
    summary: '*Fail ai-gateway back to us-east-1?*',
  });
  return { ...without(step, 'executionName', 'taskToken'), ...fields };
}

/** A copy of `record` without the named fields. */
function without<T extends object, K extends keyof T>(record: T, ...keys: K[]): Omit<T, K> {
  return Object.fromEntries(
    Object.entries(record).filter(([key]) => !(keys as PropertyKey[]).includes(key)),
  ) as Omit<T, K>;
}

const APPROVE = { status: 'APPROVED' as const, by: 'U0APPROVER', at: at(60) };

describe('DynamoApprovals (over the embedded DynamoDB)', () => {
  let dynamo: EmbeddedDynamo;
  let tables = 0;

  beforeAll(async () => {
    dynamo = await EmbeddedDynamo.start();
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  /** Each test gets its own table so none sees another's items. */
  async function approvals(): Promise<DynamoApprovals> {
    const tableName = `approvals-${++tables}`;
    await dynamo.createLedgerTable(tableName);
    return new DynamoApprovals(dynamo.client(), tableName);
  }

  describe('create and get', () => {
    it('creates an approval that did not exist', async () => {
      const store = await approvals();
      const approval = stepApproval('abc123def4');

      await expect(store.create(approval)).resolves.toEqual({ created: true, approval });
    });

    it('reads back every field of the approval it created', async () => {
      const store = await approvals();
      const approval = stepApproval('abc123def4');
      await store.create(approval);

      const stored = await store.get('abc123def4');

      expect(stored).toMatchObject(without(approval, 'expiresAt'));
    });

    // The table's TTL attribute is also called `expiresAt`: the approval's own is stored apart.
    it('reads back the approval’s expiresAt', async () => {
      const store = await approvals();
      const approval = stepApproval('abc123def4');
      await store.create(approval);

      await expect(store.get('abc123def4')).resolves.toEqual(approval);
    });

    it('keeps the first approval and answers created false when the same id is created again', async () => {
      const store = await approvals();
      const first = stepApproval('abc123def4');
      await store.create(first);
      await store.attach('abc123def4', { messageTs: '1764000000.000100' });

      const again = await store.create(
        stepApproval('abc123def4', { taskToken: 'a-newer-token', summary: 'other' }),
      );

      expect(again.created).toBe(false);
      expect(again.approval).toMatchObject({
        id: 'abc123def4',
        taskToken: first.taskToken,
        summary: first.summary,
        messageTs: '1764000000.000100',
        status: 'PENDING',
      });
    });

    it('answers undefined for an id it does not hold', async () => {
      const store = await approvals();

      await expect(store.get('zzzzzzzzzz')).resolves.toBeUndefined();
    });

    it('refuses an approval whose expiresAt is not a date, and stores nothing', async () => {
      const store = await approvals();

      await expect(store.create(stepApproval('abc123def4', { expiresAt: 'in an hour' }))).rejects.toThrow(
        'approval abc123def4 has expiresAt "in an hour"; expected ISO-8601',
      );
      await expect(store.get('abc123def4')).resolves.toBeUndefined();
    });
  });

  describe('attach', () => {
    it('sets the message ts', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      await store.attach('abc123def4', { messageTs: '1764000000.000100' });

      await expect(store.get('abc123def4')).resolves.toMatchObject({
        messageTs: '1764000000.000100',
        taskToken: stepApproval('x').taskToken,
      });
    });

    it('replaces the task token with a retried task’s newer one', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      await store.attach('abc123def4', { taskToken: 'the-retry-token' });

      const stored = await store.get('abc123def4');
      expect(stored?.taskToken).toBe('the-retry-token');
      expect(stored?.messageTs).toBeUndefined();
    });

    it('moves the deadline a decision is held to, for a retry whose question is not yet posted', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      await store.attach('abc123def4', { taskToken: 'the-retry-token', expiresAt: at(4200).toISOString() });

      await expect(store.get('abc123def4')).resolves.toMatchObject({
        taskToken: 'the-retry-token',
        expiresAt: at(4200).toISOString(),
      });
      // Past the old deadline, before the new one: the decision counts.
      const late = await store.decide('abc123def4', { ...APPROVE, at: at(3900) });
      expect(late.outcome).toBe('decided');
    });

    it('holds decisions to a deadline moved earlier too', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      await store.attach('abc123def4', { expiresAt: at(1800).toISOString() });

      const late = await store.decide('abc123def4', { ...APPROVE, at: at(1800) });
      expect(late.outcome).toBe('closed');
    });

    it('refuses an expiresAt that is not a date, and changes nothing', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      await expect(
        store.attach('abc123def4', { taskToken: 'the-retry-token', expiresAt: 'in an hour' }),
      ).rejects.toThrow(RangeError);
      await expect(store.get('abc123def4')).resolves.toEqual(stepApproval('abc123def4'));
    });

    it('does nothing when given nothing to set', async () => {
      const store = await approvals();

      // Not even for an unknown id: no request is made.
      await expect(store.attach('zzzzzzzzzz', {})).resolves.toBeUndefined();
      await expect(store.get('zzzzzzzzzz')).resolves.toBeUndefined();
    });

    it('fails for an unknown id and creates nothing', async () => {
      const store = await approvals();

      await expect(store.attach('zzzzzzzzzz', { messageTs: '1.1' })).rejects.toThrow();
      await expect(store.get('zzzzzzzzzz')).resolves.toBeUndefined();
    });
  });

  describe('decide', () => {
    it('counts the first decision and returns the approval as decided', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      const result = await store.decide('abc123def4', APPROVE);

      expect(result).toEqual({
        outcome: 'decided',
        approval: expect.objectContaining({
          id: 'abc123def4',
          status: 'APPROVED',
          decidedBy: 'U0APPROVER',
          decidedAt: at(60).toISOString(),
        }),
      });
      await expect(store.get('abc123def4')).resolves.toMatchObject({
        status: 'APPROVED',
        decidedBy: 'U0APPROVER',
      });
    });

    it('records a rejection the same way', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      const result = await store.decide('abc123def4', { status: 'REJECTED', by: 'U0ONCALL01', at: at(90) });

      expect(result.outcome).toBe('decided');
      await expect(store.get('abc123def4')).resolves.toMatchObject({
        status: 'REJECTED',
        decidedBy: 'U0ONCALL01',
        decidedAt: at(90).toISOString(),
      });
    });

    it('answers already-decided to a second decision and keeps the first', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));
      await store.decide('abc123def4', APPROVE);

      const second = await store.decide('abc123def4', { status: 'REJECTED', by: 'U0ONCALL01', at: at(61) });

      expect(second).toEqual({
        outcome: 'already-decided',
        approval: expect.objectContaining({
          status: 'APPROVED',
          decidedBy: 'U0APPROVER',
          decidedAt: at(60).toISOString(),
        }),
      });
      await expect(store.get('abc123def4')).resolves.toMatchObject({
        status: 'APPROVED',
        decidedBy: 'U0APPROVER',
      });
    });

    it('answers closed to a decision at or after the deadline, and changes nothing', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      for (const offset of [3600, 3601, 86_400]) {
        const result = await store.decide('abc123def4', { ...APPROVE, at: at(offset) });
        expect(result).toEqual({
          outcome: 'closed',
          approval: expect.objectContaining({ status: 'PENDING' }),
        });
      }
      const stored = await store.get('abc123def4');
      expect(stored?.status).toBe('PENDING');
      expect(stored?.decidedBy).toBeUndefined();
    });

    it('counts a decision in the last second before the deadline', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      await expect(store.decide('abc123def4', { ...APPROVE, at: at(3599) })).resolves.toMatchObject({
        outcome: 'decided',
      });
    });

    it('answers closed to a decision on a timed-out or cancelled approval', async () => {
      const store = await approvals();
      await store.create(stepApproval('timedout01'));
      await store.create(stepApproval('cancelled1'));
      await store.close('timedout01', 'TIMED_OUT', at(3600));
      await store.close('cancelled1', 'CANCELLED', at(120));

      await expect(store.decide('timedout01', APPROVE)).resolves.toEqual({
        outcome: 'closed',
        approval: expect.objectContaining({ status: 'TIMED_OUT' }),
      });
      await expect(store.decide('cancelled1', APPROVE)).resolves.toEqual({
        outcome: 'closed',
        approval: expect.objectContaining({ status: 'CANCELLED' }),
      });
    });

    it('answers unknown for an id it does not hold, and creates nothing', async () => {
      const store = await approvals();

      await expect(store.decide('zzzzzzzzzz', APPROVE)).resolves.toEqual({ outcome: 'unknown' });
      await expect(store.get('zzzzzzzzzz')).resolves.toBeUndefined();
    });

    it('counts exactly one of two concurrent decisions', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      const results = await Promise.all([
        store.decide('abc123def4', { status: 'APPROVED', by: 'U0APPROVER', at: at(60) }),
        store.decide('abc123def4', { status: 'REJECTED', by: 'U0ONCALL01', at: at(60) }),
      ]);

      expect(results.map((r) => r.outcome).sort()).toEqual(['already-decided', 'decided']);
      const winner = results.find((r) => r.outcome === 'decided');
      const loser = results.find((r) => r.outcome === 'already-decided');
      if (winner?.outcome !== 'decided' || loser?.outcome !== 'already-decided')
        throw new Error('unreachable');
      // The loser is told what the winner decided, and the table holds the winner's decision.
      expect(loser.approval.status).toBe(winner.approval.status);
      expect(loser.approval.decidedBy).toBe(winner.approval.decidedBy);
      await expect(store.get('abc123def4')).resolves.toMatchObject({
        status: winner.approval.status,
        decidedBy: winner.approval.decidedBy,
      });
    });

    it('counts exactly one of many concurrent identical clicks', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      const results = await Promise.all(Array.from({ length: 8 }, () => store.decide('abc123def4', APPROVE)));

      expect(results.filter((r) => r.outcome === 'decided')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'already-decided')).toHaveLength(7);
    });
  });

  describe('close', () => {
    it('closes a pending approval and says so', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));

      await expect(store.close('abc123def4', 'TIMED_OUT', at(3600))).resolves.toBe(true);

      await expect(store.get('abc123def4')).resolves.toMatchObject({
        status: 'TIMED_OUT',
        decidedAt: at(3600).toISOString(),
      });
    });

    it('leaves a decided approval as it is and answers false', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));
      await store.decide('abc123def4', APPROVE);

      await expect(store.close('abc123def4', 'CANCELLED', at(120))).resolves.toBe(false);

      await expect(store.get('abc123def4')).resolves.toMatchObject({
        status: 'APPROVED',
        decidedBy: 'U0APPROVER',
        decidedAt: at(60).toISOString(),
      });
    });

    it('answers false when closed twice, keeping the first close', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));
      await store.close('abc123def4', 'TIMED_OUT', at(3600));

      await expect(store.close('abc123def4', 'CANCELLED', at(3700))).resolves.toBe(false);
      await expect(store.get('abc123def4')).resolves.toMatchObject({
        status: 'TIMED_OUT',
        decidedAt: at(3600).toISOString(),
      });
    });

    it('answers false for an unknown id and creates nothing', async () => {
      const store = await approvals();

      await expect(store.close('zzzzzzzzzz', 'TIMED_OUT', at(0))).resolves.toBe(false);
      await expect(store.get('zzzzzzzzzz')).resolves.toBeUndefined();
    });
  });

  describe('listPending', () => {
    it('lists exactly the approvals still waiting, oldest first', async () => {
      const store = await approvals();
      await store.create(stepApproval('aaaaaaaaa1', { createdAt: '2026-11-22T06:00:02.000Z' }));
      await store.create(stepApproval('aaaaaaaaa2', { createdAt: '2026-11-22T06:00:01.000Z' }));
      await store.create(stepApproval('aaaaaaaaa3', { createdAt: '2026-11-22T06:00:03.000Z' }));
      await store.decide('aaaaaaaaa1', APPROVE);
      await store.close('aaaaaaaaa3', 'TIMED_OUT', new Date('2026-11-22T07:00:00.000Z'));

      const pending = await store.listPending(10);
      expect(pending.map((a) => a.id)).toEqual(['aaaaaaaaa2']);
      expect(pending[0]).toEqual(stepApproval('aaaaaaaaa2', { createdAt: '2026-11-22T06:00:01.000Z' }));
    });
  });

  describe('markDelivered', () => {
    it('marks the decision delivered, again without harm', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));
      await store.decide('abc123def4', APPROVE);
      expect((await store.get('abc123def4'))?.delivered).toBeUndefined();

      await store.markDelivered('abc123def4');
      await store.markDelivered('abc123def4');

      await expect(store.get('abc123def4')).resolves.toMatchObject({ status: 'APPROVED', delivered: true });
    });

    it('fails for an unknown id and creates nothing', async () => {
      const store = await approvals();

      await expect(store.markDelivered('zzzzzzzzzz')).rejects.toThrow();
      await expect(store.get('zzzzzzzzzz')).resolves.toBeUndefined();
    });
  });

  describe('consume', () => {
    it('claims an approved offer for one execution, again and again for that one, never for another', async () => {
      const store = await approvals();
      await store.create(offer('offer00001'));
      await store.decide('offer00001', APPROVE);

      await expect(store.consume('offer00001', 'failback-ai-gateway-offer00001')).resolves.toBe(true);
      await expect(store.consume('offer00001', 'failback-ai-gateway-offer00001')).resolves.toBe(true);
      await expect(store.consume('offer00001', 'failback-ai-gateway-someone-else')).resolves.toBe(false);

      await expect(store.get('offer00001')).resolves.toMatchObject({
        consumedBy: 'failback-ai-gateway-offer00001',
      });
    });

    it('refuses a pending offer', async () => {
      const store = await approvals();
      await store.create(offer('offer00001'));

      await expect(store.consume('offer00001', 'failback-ai-gateway-offer00001')).resolves.toBe(false);
      expect((await store.get('offer00001'))?.consumedBy).toBeUndefined();
    });

    it('refuses a rejected offer', async () => {
      const store = await approvals();
      await store.create(offer('offer00001'));
      await store.decide('offer00001', { ...APPROVE, status: 'REJECTED' });

      await expect(store.consume('offer00001', 'failback-ai-gateway-offer00001')).resolves.toBe(false);
    });

    it('refuses a timed-out offer', async () => {
      const store = await approvals();
      await store.create(offer('offer00001'));
      await store.close('offer00001', 'TIMED_OUT', at(3600));

      await expect(store.consume('offer00001', 'failback-ai-gateway-offer00001')).resolves.toBe(false);
    });

    it('refuses an approved step approval: only offers are consumed', async () => {
      const store = await approvals();
      await store.create(stepApproval('abc123def4'));
      await store.decide('abc123def4', APPROVE);

      await expect(store.consume('abc123def4', 'failback-ai-gateway-x')).resolves.toBe(false);
      expect((await store.get('abc123def4'))?.consumedBy).toBeUndefined();
    });

    it('refuses an unknown id and creates nothing', async () => {
      const store = await approvals();

      await expect(store.consume('zzzzzzzzzz', 'failback-ai-gateway-x')).resolves.toBe(false);
      await expect(store.get('zzzzzzzzzz')).resolves.toBeUndefined();
    });

    it('gives an approved offer to exactly one of two executions claiming it at once', async () => {
      const store = await approvals();
      await store.create(offer('offer00001'));
      await store.decide('offer00001', APPROVE);

      const claims = await Promise.all([
        store.consume('offer00001', 'failback-a'),
        store.consume('offer00001', 'failback-b'),
      ]);

      expect(claims.filter(Boolean)).toHaveLength(1);
      const owner = claims[0] ? 'failback-a' : 'failback-b';
      await expect(store.get('offer00001')).resolves.toMatchObject({ consumedBy: owner });
    });
  });
});

describe('DynamoApprovals requests', () => {
  // Mocked only here: mocking DynamoDBClient patches every client, the embedded DynamoDB's included.
  const mockDynamo = () => mockClient(DynamoDBClient);
  let ddb: ReturnType<typeof mockDynamo>;

  beforeAll(() => {
    ddb = mockDynamo();
  });

  afterAll(() => {
    ddb.restore();
  });

  it('decides with one conditional update: PENDING and the deadline not reached, in epoch seconds', async () => {
    ddb.on(UpdateItemCommand).resolves({
      Attributes: {
        pk: { S: 'APPROVAL#abc123def4' },
        sk: { S: 'APPROVAL' },
        id: { S: 'abc123def4' },
        status: { S: 'APPROVED' },
      },
    });
    const store = new DynamoApprovals(new DynamoDBClient({ region: 'us-east-1' }), 'lifeboat-ledger');

    await store.decide('abc123def4', {
      status: 'APPROVED',
      by: 'U0APPROVER',
      at: new Date('2026-11-22T06:01:00.750Z'),
    });

    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 0);
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'lifeboat-ledger',
      Key: { pk: { S: 'APPROVAL#abc123def4' }, sk: { S: 'APPROVAL' } },
      // Deciding also leaves the pending-approvals index.
      UpdateExpression:
        'SET #status = :decision, decidedBy = :by, decidedAt = :at, deliveryClaimedAt = :now REMOVE #gpk, #gsk',
      ConditionExpression: '#status = :pending AND deadlineEpoch > :now',
      ExpressionAttributeNames: { '#status': 'status', '#gpk': 'gsi1pk', '#gsk': 'gsi1sk' },
      ExpressionAttributeValues: {
        ':decision': { S: 'APPROVED' },
        ':by': { S: 'U0APPROVER' },
        ':at': { S: '2026-11-22T06:01:00.750Z' },
        ':pending': { S: 'PENDING' },
        ':now': { N: String(Date.parse('2026-11-22T06:01:00.000Z') / 1000) },
      },
      ReturnValues: 'ALL_NEW',
    });
  });
});
