import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { LEDGER_SCHEMA } from '../ledger/schema.ts';
import { RUN_KINDS } from '../ports/Ledger.ts';
import type {
  AcquireLockResult,
  HealthRecord,
  Ledger,
  LockLease,
  LockPurpose,
  RunKind,
  RunRecord,
  RunStatus,
} from '../ports/Ledger.ts';

/** TTL sweeps a lock item this long after its lease ends; only housekeeping, never correctness. */
const LOCK_TTL_GRACE_SECONDS = 86_400;

/**
 * A failed acquire reads the holder; if the lock vanished in between (released), it tries again.
 * Each retry needs another concurrent release, so a few attempts settle any real contention.
 */
const MAX_ACQUIRE_ATTEMPTS = 3;

const LOCK_SORT_KEY = 'LOCK';

/** Sorting runs by `startedAt` as text is only right for this exact shape. */
const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The ledger on the DynamoDB table described by `LEDGER_SCHEMA`: runs and per-application locks,
 * each written with a single PutItem so every write is idempotent and nothing needs a transaction.
 *
 * A lock's `acquiredAt` is when its current lease was taken or last extended: a re-acquire by the
 * holder rewrites the whole item in the same single conditional PutItem that checks ownership, and
 * PutItem cannot keep an attribute of the item it replaces (UpdateItem could, but then a takeover of
 * an expired lease would inherit the previous holder's `acquiredAt`).
 *
 * SDK errors other than a failed condition propagate unchanged: the workflow layer classifies them
 * by name.
 */
export class DynamoLedger implements Ledger {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async putRun(run: RunRecord): Promise<void> {
    if (!CANONICAL_ISO.test(run.startedAt)) {
      throw new RangeError(
        `Run ${run.executionName} has startedAt "${run.startedAt}"; expected ISO-8601 UTC with milliseconds (Date.toISOString())`,
      );
    }
    // Only the RunRecord's own fields: a caller's object may carry more than the type shows.
    const item = {
      [LEDGER_SCHEMA.partitionKey]: appKey(run.application),
      [LEDGER_SCHEMA.sortKey]: `${runPrefix(run.kind)}${run.startedAt}#${run.executionName}`,
      [LEDGER_SCHEMA.byKindPartitionKey]: kindKey(run.kind),
      [LEDGER_SCHEMA.byKindSortKey]: `${run.startedAt}#${run.application}#${run.executionName}`,
      application: run.application,
      kind: run.kind,
      executionName: run.executionName,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      status: run.status,
      reason: run.reason,
      error: run.error === undefined ? undefined : { name: run.error.name, cause: run.error.cause },
      details: run.details,
    };
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: marshall(item, { removeUndefinedValues: true }),
      }),
    );
  }

  async listRuns(application: string, kind: RunKind, limit: number): Promise<RunRecord[]> {
    checkLimit(limit);
    const output = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': LEDGER_SCHEMA.partitionKey, '#sk': LEDGER_SCHEMA.sortKey },
        ExpressionAttributeValues: { ':pk': { S: appKey(application) }, ':prefix': { S: runPrefix(kind) } },
        ScanIndexForward: false,
        Limit: limit,
        // A step that just wrote a run may read it straight back (cooldowns, "last failover").
        ConsistentRead: true,
      }),
    );
    return (output.Items ?? []).map(toRunRecord);
  }

  async listRunsBetween(
    application: string,
    kind: RunKind,
    range: { readonly from: string; readonly to: string },
    limit: number,
  ): Promise<RunRecord[]> {
    checkLimit(limit);
    for (const [name, value] of Object.entries(range)) {
      if (!CANONICAL_ISO.test(value)) {
        throw new RangeError(
          `${name} is "${value}"; expected ISO-8601 UTC with milliseconds (Date.toISOString())`,
        );
      }
    }
    const output = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        // "~" sorts after "#", so every run that started at `to` itself is inside the range.
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': LEDGER_SCHEMA.partitionKey, '#sk': LEDGER_SCHEMA.sortKey },
        ExpressionAttributeValues: {
          ':pk': { S: appKey(application) },
          ':from': { S: `${runPrefix(kind)}${range.from}` },
          ':to': { S: `${runPrefix(kind)}${range.to}~` },
        },
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (output.Items ?? []).map(toRunRecord);
  }

  async listRunsByKind(kind: RunKind, limit: number): Promise<RunRecord[]> {
    checkLimit(limit);
    // No ConsistentRead: DynamoDB refuses it on a global secondary index.
    const output = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: LEDGER_SCHEMA.byKindIndex,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': LEDGER_SCHEMA.byKindPartitionKey },
        ExpressionAttributeValues: { ':pk': { S: kindKey(kind) } },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (output.Items ?? []).map(toRunRecord);
  }

  async acquireLock(
    application: string,
    owner: string,
    now: Date,
    leaseSeconds: number,
    purpose?: LockPurpose,
  ): Promise<AcquireLockResult> {
    const nowMs = now.getTime();
    if (Number.isNaN(nowMs))
      throw new RangeError(`Cannot acquire the lock of ${application}: now is an invalid date`);
    if (!Number.isFinite(leaseSeconds) || leaseSeconds <= 0) {
      throw new RangeError(
        `Cannot acquire the lock of ${application}: leaseSeconds must be a positive number, got ${leaseSeconds}`,
      );
    }
    const expiryMs = nowMs + Math.round(leaseSeconds * 1000);
    const lease: LockLease = {
      application,
      owner,
      acquiredAt: now.toISOString(),
      leaseExpiresAt: new Date(expiryMs).toISOString(),
      ...(purpose === undefined ? {} : { purpose }),
    };
    const input: PutItemCommandInput = {
      TableName: this.#tableName,
      Item: {
        ...lockKey(application),
        application: { S: application },
        owner: { S: owner },
        acquiredAt: { S: lease.acquiredAt },
        leaseExpiresAt: { S: lease.leaseExpiresAt },
        ...(purpose === undefined
          ? {}
          : {
              purposeWorkflow: { S: purpose.workflow },
              ...(purpose.targetRegion === undefined
                ? {}
                : { purposeTargetRegion: { S: purpose.targetRegion } }),
            }),
        // Fractional epoch seconds (milliseconds kept) so the condition agrees exactly with leaseExpiresAt.
        leaseExpiresAtEpoch: { N: String(expiryMs / 1000) },
        [LEDGER_SCHEMA.expiryAttribute]: {
          N: String(Math.ceil(expiryMs / 1000) + LOCK_TTL_GRACE_SECONDS),
        },
      },
      ConditionExpression: 'attribute_not_exists(#pk) OR #leaseExpiresAtEpoch < :now OR #owner = :owner',
      ExpressionAttributeNames: {
        '#pk': LEDGER_SCHEMA.partitionKey,
        '#leaseExpiresAtEpoch': 'leaseExpiresAtEpoch',
        '#owner': 'owner',
      },
      ExpressionAttributeValues: { ':now': { N: String(nowMs / 1000) }, ':owner': { S: owner } },
      // DynamoDB returns the blocking item with the failure, saving a read; dynalite ignores this.
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };

    for (let attempt = 1; attempt <= MAX_ACQUIRE_ATTEMPTS; attempt++) {
      try {
        await this.#client.send(new PutItemCommand(input));
        return { acquired: true, lease };
      } catch (error) {
        const failure = asConditionFailure(error);
        if (failure === undefined) throw error;
        const heldBy = failure.Item === undefined ? await this.getLock(application) : toLease(failure.Item);
        if (heldBy !== undefined) return { acquired: false, heldBy };
      }
    }
    throw new Error(
      `Could not acquire the lock of ${application} for ${owner}: it was refused ${MAX_ACQUIRE_ATTEMPTS} times yet was free each time it was read, so other owners are taking and releasing it concurrently`,
    );
  }

  async releaseLock(application: string, owner: string): Promise<boolean> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: lockKey(application),
          // A missing lock fails this too (no owner attribute), so releasing twice returns false.
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      );
      return true;
    } catch (error) {
      if (asConditionFailure(error) !== undefined) return false;
      throw error;
    }
  }

  async getLock(application: string): Promise<LockLease | undefined> {
    const output = await this.#client.send(
      new GetItemCommand({ TableName: this.#tableName, Key: lockKey(application), ConsistentRead: true }),
    );
    return output.Item === undefined ? undefined : toLease(output.Item);
  }

  /**
   * One conditional PutItem: written only when the state differs from the one recorded, so `since`
   * stays the moment the region entered its state however often it is reported.
   */
  async recordHealth(record: HealthRecord): Promise<void> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: {
            ...healthKey(record.application, record.region),
            application: { S: record.application },
            region: { S: record.region },
            state: { S: record.state },
            since: { S: record.since },
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #state <> :state',
          ExpressionAttributeNames: { '#pk': LEDGER_SCHEMA.partitionKey, '#state': 'state' },
          ExpressionAttributeValues: { ':state': { S: record.state } },
        }),
      );
    } catch (error) {
      if ((error as { name?: unknown }).name === 'ConditionalCheckFailedException') return;
      throw error;
    }
  }

  async getHealth(application: string, region: string): Promise<HealthRecord | undefined> {
    const output = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: healthKey(application, region),
        ConsistentRead: true,
      }),
    );
    const item = output.Item;
    if (item === undefined) return undefined;
    const state = item.state?.S;
    const since = item.since?.S;
    if ((state !== 'OK' && state !== 'ALARM') || since === undefined) {
      throw new Error(`ledger item APP#${application} / HEALTH#${region} is not a health record`);
    }
    return { application, region, state, since };
  }
}

function healthKey(application: string, region: string): Record<string, AttributeValue> {
  return {
    [LEDGER_SCHEMA.partitionKey]: { S: `APP#${application}` },
    [LEDGER_SCHEMA.sortKey]: { S: `HEALTH#${region}` },
  };
}

function appKey(application: string): string {
  return `APP#${application}`;
}

function kindKey(kind: RunKind): string {
  return `KIND#${kind}`;
}

function runPrefix(kind: RunKind): string {
  return `RUN#${kind}#`;
}

function lockKey(application: string): Record<string, AttributeValue> {
  return {
    [LEDGER_SCHEMA.partitionKey]: { S: appKey(application) },
    [LEDGER_SCHEMA.sortKey]: { S: LOCK_SORT_KEY },
  };
}

function checkLimit(limit: number): void {
  // DynamoDB rejects a Limit below 1 with a less helpful ValidationException.
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }
}

/** The part of `ConditionalCheckFailedException` read here: the blocking item, when DynamoDB returned it. */
interface ConditionFailure {
  readonly name: 'ConditionalCheckFailedException';
  readonly Item?: Record<string, AttributeValue> | undefined;
}

/**
 * Matched by name, as the workflow layer does, not by `instanceof`: that breaks across copies of the
 * SDK module and across realms (jest's VM contexts).
 */
function asConditionFailure(error: unknown): ConditionFailure | undefined {
  return typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'ConditionalCheckFailedException'
    ? (error as ConditionFailure)
    : undefined;
}

function toRunRecord(raw: Record<string, AttributeValue>): RunRecord {
  const item: Record<string, unknown> = unmarshall(raw);
  const where = `run item ${describeKey(item)}`;
  const kind = requireString(item, 'kind', where);
  if (!(RUN_KINDS as readonly string[]).includes(kind))
    throw new Error(`Ledger ${where} has unknown kind "${kind}"`);
  const endedAt = optionalString(item, 'endedAt', where);
  const reason = optionalString(item, 'reason', where);
  const error = item.error === undefined ? undefined : readRunError(item.error, where);
  const details = item.details === undefined ? undefined : readDetails(item.details, where);
  return {
    application: requireString(item, 'application', where),
    kind: kind as RunKind,
    executionName: requireString(item, 'executionName', where),
    startedAt: requireString(item, 'startedAt', where),
    ...(endedAt === undefined ? {} : { endedAt }),
    status: requireString(item, 'status', where) as RunStatus,
    ...(reason === undefined ? {} : { reason }),
    ...(error === undefined ? {} : { error }),
    ...(details === undefined ? {} : { details }),
  };
}

function toLease(raw: Record<string, AttributeValue>): LockLease {
  const item: Record<string, unknown> = unmarshall(raw);
  const where = `lock item ${describeKey(item)}`;
  return {
    application: requireString(item, 'application', where),
    owner: requireString(item, 'owner', where),
    acquiredAt: requireString(item, 'acquiredAt', where),
    leaseExpiresAt: requireString(item, 'leaseExpiresAt', where),
    ...(typeof item.purposeWorkflow === 'string'
      ? {
          purpose: {
            workflow: item.purposeWorkflow,
            ...(typeof item.purposeTargetRegion === 'string'
              ? { targetRegion: item.purposeTargetRegion }
              : {}),
          },
        }
      : {}),
  };
}

function readRunError(value: unknown, where: string): { name: string; cause: string } {
  if (!isPlainRecord(value)) throw new Error(`Ledger ${where} has an error that is not a map`);
  return {
    name: requireString(value, 'name', `${where} error`),
    cause: requireString(value, 'cause', `${where} error`),
  };
}

function readDetails(value: unknown, where: string): Readonly<Record<string, unknown>> {
  if (!isPlainRecord(value)) throw new Error(`Ledger ${where} has details that are not a map`);
  return value;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(item: Record<string, unknown>, name: string, where: string): string {
  const value = item[name];
  if (typeof value !== 'string') throw new Error(`Ledger ${where} has no string attribute ${name}`);
  return value;
}

function optionalString(item: Record<string, unknown>, name: string, where: string): string | undefined {
  const value = item[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`Ledger ${where} has a non-string attribute ${name}`);
  return value;
}

function describeKey(item: Record<string, unknown>): string {
  const pk = item[LEDGER_SCHEMA.partitionKey];
  const sk = item[LEDGER_SCHEMA.sortKey];
  return `${typeof pk === 'string' ? pk : '?'} / ${typeof sk === 'string' ? sk : '?'}`;
}
