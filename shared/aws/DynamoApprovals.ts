import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { LEDGER_SCHEMA } from '../ledger/schema.ts';
import type { ApprovalRecord, ApprovalStore, DecideResult } from '../ports/Approvals.ts';

/** DynamoDB's TTL sweeps a decided approval this long after its deadline: housekeeping only. */
const TTL_GRACE_SECONDS = 30 * 86_400;

const SORT_KEY = 'APPROVAL';

/**
 * A PENDING approval is also in the `byKind` index under this key (sorted by when it was asked):
 * deciding or closing it removes it, so the index holds exactly the approvals still waiting.
 */
export const PENDING_APPROVALS_KEY = 'APPROVALS#PENDING';

function key(id: string): Record<string, AttributeValue> {
  return {
    [LEDGER_SCHEMA.partitionKey]: { S: `APPROVAL#${id}` },
    [LEDGER_SCHEMA.sortKey]: { S: SORT_KEY },
  };
}

function epoch(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

/**
 * Approvals in the ledger table (`APPROVAL#<id>` / `APPROVAL`). Every state change is one
 * conditional write, so a double click, a replay or two approvers at once count one decision; the
 * deadline is compared explicitly in the condition, never left to DynamoDB's TTL.
 */
export class DynamoApprovals implements ApprovalStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async create(approval: ApprovalRecord): Promise<{ created: boolean; approval: ApprovalRecord }> {
    const deadline = new Date(approval.expiresAt);
    if (Number.isNaN(deadline.getTime())) {
      throw new RangeError(
        `approval ${approval.id} has expiresAt "${approval.expiresAt}"; expected ISO-8601`,
      );
    }
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: {
            ...key(approval.id),
            // `expiresAt` is the table's TTL attribute (epoch seconds): the approval's own deadline
            // is kept as `approvalExpiresAt`.
            ...marshall(
              { ...approval, expiresAt: undefined, approvalExpiresAt: approval.expiresAt },
              { removeUndefinedValues: true },
            ),
            deadlineEpoch: { N: String(epoch(deadline)) },
            ...(approval.status === 'PENDING'
              ? {
                  [LEDGER_SCHEMA.byKindPartitionKey]: { S: PENDING_APPROVALS_KEY },
                  [LEDGER_SCHEMA.byKindSortKey]: { S: `${approval.createdAt}#${approval.id}` },
                }
              : {}),
            [LEDGER_SCHEMA.expiryAttribute]: { N: String(epoch(deadline) + TTL_GRACE_SECONDS) },
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': LEDGER_SCHEMA.partitionKey },
        }),
      );
      return { created: true, approval };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.get(approval.id);
      if (existing === undefined) throw error;
      return { created: false, approval: existing };
    }
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const output = await this.#client.send(
      new GetItemCommand({ TableName: this.#tableName, Key: key(id), ConsistentRead: true }),
    );
    return output.Item === undefined ? undefined : toApproval(output.Item);
  }

  async attach(
    id: string,
    fields: { readonly messageTs?: string; readonly taskToken?: string; readonly expiresAt?: string },
  ): Promise<void> {
    const sets: string[] = [];
    const names: Record<string, string> = { '#pk': LEDGER_SCHEMA.partitionKey };
    const values: Record<string, AttributeValue> = {};
    if (fields.messageTs !== undefined) {
      sets.push('messageTs = :ts');
      values[':ts'] = { S: fields.messageTs };
    }
    if (fields.taskToken !== undefined) {
      sets.push('taskToken = :token');
      values[':token'] = { S: fields.taskToken };
    }
    if (fields.expiresAt !== undefined) {
      const deadline = new Date(fields.expiresAt);
      if (Number.isNaN(deadline.getTime()))
        throw new RangeError(`approval ${id} given expiresAt "${fields.expiresAt}"; expected ISO-8601`);
      // The same three attributes create writes: the deadline, what decide compares, the TTL.
      sets.push('approvalExpiresAt = :expires, deadlineEpoch = :deadline, #ttl = :ttl');
      names['#ttl'] = LEDGER_SCHEMA.expiryAttribute;
      values[':expires'] = { S: fields.expiresAt };
      values[':deadline'] = { N: String(epoch(deadline)) };
      values[':ttl'] = { N: String(epoch(deadline) + TTL_GRACE_SECONDS) };
    }
    if (sets.length === 0) return;
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: key(id),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async decide(
    id: string,
    decision: { readonly status: 'APPROVED' | 'REJECTED'; readonly by: string; readonly at: Date },
  ): Promise<DecideResult> {
    try {
      const output = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: key(id),
          // The winning decision also claims its delivery, so a second press while it is being
          // delivered does not deliver it again (see claimDelivery).
          UpdateExpression:
            'SET #status = :decision, decidedBy = :by, decidedAt = :at, deliveryClaimedAt = :now REMOVE #gpk, #gsk',
          ConditionExpression: '#status = :pending AND deadlineEpoch > :now',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#gpk': LEDGER_SCHEMA.byKindPartitionKey,
            '#gsk': LEDGER_SCHEMA.byKindSortKey,
          },
          ExpressionAttributeValues: {
            ':decision': { S: decision.status },
            ':by': { S: decision.by },
            ':at': { S: decision.at.toISOString() },
            ':pending': { S: 'PENDING' },
            ':now': { N: String(epoch(decision.at)) },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (output.Attributes === undefined) return { outcome: 'unknown' };
      return { outcome: 'decided', approval: toApproval(output.Attributes) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.get(id);
      if (existing === undefined) return { outcome: 'unknown' };
      if (existing.status === 'APPROVED' || existing.status === 'REJECTED')
        return { outcome: 'already-decided', approval: existing };
      return { outcome: 'closed', approval: existing };
    }
  }

  async close(id: string, status: 'TIMED_OUT' | 'CANCELLED' | 'EXPIRED', at: Date): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: key(id),
          UpdateExpression: 'SET #status = :status, decidedAt = :at REMOVE #gpk, #gsk',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#gpk': LEDGER_SCHEMA.byKindPartitionKey,
            '#gsk': LEDGER_SCHEMA.byKindSortKey,
          },
          ExpressionAttributeValues: {
            ':status': { S: status },
            ':at': { S: at.toISOString() },
            ':pending': { S: 'PENDING' },
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async listPending(limit: number): Promise<ApprovalRecord[]> {
    // No ConsistentRead: DynamoDB refuses it on a global secondary index; a just-decided approval
    // may show for a moment, which a gauge of waiting time can bear.
    const output = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: LEDGER_SCHEMA.byKindIndex,
        KeyConditionExpression: '#pk = :pending',
        ExpressionAttributeNames: { '#pk': LEDGER_SCHEMA.byKindPartitionKey },
        ExpressionAttributeValues: { ':pending': { S: PENDING_APPROVALS_KEY } },
        ScanIndexForward: true,
        Limit: limit,
      }),
    );
    return (output.Items ?? []).map(toApproval).filter((a) => a.status === 'PENDING');
  }

  async claimDelivery(id: string, at: Date, staleAfterSeconds: number): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: key(id),
          UpdateExpression: 'SET deliveryClaimedAt = :now',
          ConditionExpression:
            'attribute_exists(#pk) AND attribute_not_exists(delivered) AND (attribute_not_exists(deliveryClaimedAt) OR deliveryClaimedAt < :stale)',
          ExpressionAttributeNames: { '#pk': LEDGER_SCHEMA.partitionKey },
          ExpressionAttributeValues: {
            ':now': { N: String(epoch(at)) },
            ':stale': { N: String(epoch(at) - staleAfterSeconds) },
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async releaseDelivery(id: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: key(id),
          UpdateExpression: 'REMOVE deliveryClaimedAt',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(delivered)',
          ExpressionAttributeNames: { '#pk': LEDGER_SCHEMA.partitionKey },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async markDelivered(id: string): Promise<void> {
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: key(id),
        UpdateExpression: 'SET delivered = :true',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': LEDGER_SCHEMA.partitionKey },
        ExpressionAttributeValues: { ':true': { BOOL: true } },
      }),
    );
  }

  async consume(id: string, executionName: string): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: key(id),
          UpdateExpression: 'SET consumedBy = :me',
          ConditionExpression:
            '#kind = :offer AND #status = :approved AND (attribute_not_exists(consumedBy) OR consumedBy = :me)',
          ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status' },
          ExpressionAttributeValues: {
            ':me': { S: executionName },
            ':offer': { S: 'offer' },
            ':approved': { S: 'APPROVED' },
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

function toApproval(item: Record<string, AttributeValue>): ApprovalRecord {
  const record = unmarshall(item) as Record<string, unknown>;
  const pk = record[LEDGER_SCHEMA.partitionKey];
  // Keys and bookkeeping of the table, not of the approval.
  for (const attribute of [
    LEDGER_SCHEMA.partitionKey,
    LEDGER_SCHEMA.sortKey,
    LEDGER_SCHEMA.expiryAttribute,
    LEDGER_SCHEMA.byKindPartitionKey,
    LEDGER_SCHEMA.byKindSortKey,
    'deadlineEpoch',
    'deliveryClaimedAt',
  ])
    Reflect.deleteProperty(record, attribute);
  const { approvalExpiresAt, ...rest } = record;
  if (typeof rest.id !== 'string' || typeof rest.status !== 'string') {
    throw new Error(`ledger item ${String(pk)} is not an approval`);
  }
  return { ...rest, expiresAt: approvalExpiresAt } as unknown as ApprovalRecord;
}
