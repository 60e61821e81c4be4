import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { LEDGER_SCHEMA } from '../../shared/ledger/schema.ts';
import type { AcquireLockResult, Ledger, RunRecord } from '../../shared/ports/Ledger.ts';
import { trackPort } from '../clock/trackPort.ts';
import type { VirtualClock } from '../clock/VirtualClock.ts';
import type { EmbeddedDynamo } from './EmbeddedDynamo.ts';

type Key = Record<string, AttributeValue>;

/** The attribute that orders replicated writes: last writer wins, as in a global table. */
const WRITTEN_AT = 'replicaWrittenAt';

/**
 * The ledger as a DynamoDB global table without multi-Region strong consistency: one replica per
 * control-plane region (a table each in the embedded DynamoDB), the real adapter over each, and
 * every write copied to the other replicas after the replication delay, the last writer winning. A
 * conditional write is consistent only in the replica it is made in, exactly the property the lock
 * has to be designed around. A replica whose region is down receives its copies when it returns.
 */
export class ReplicatedLedger {
  private readonly replicas = new Map<string, { ledger: Ledger; table: string }>();
  private readonly client: DynamoDBClient;
  private readonly clock: VirtualClock;
  private readonly delaySeconds: () => number;
  private readonly isDown: (region: string) => boolean;
  private pending = 0;
  /** Copies waiting for their region to return, by region. */
  private readonly deferred = new Map<string, (() => void)[]>();

  private constructor(options: {
    client: DynamoDBClient;
    clock: VirtualClock;
    delaySeconds: () => number;
    isDown: (region: string) => boolean;
  }) {
    this.client = options.client;
    this.clock = options.clock;
    this.delaySeconds = options.delaySeconds;
    this.isDown = options.isDown;
  }

  static async create(options: {
    dynamo: EmbeddedDynamo;
    tableName: string;
    regions: readonly string[];
    clock: VirtualClock;
    delaySeconds: () => number;
    isDown: (region: string) => boolean;
  }): Promise<ReplicatedLedger> {
    const replicated = new ReplicatedLedger({ client: options.dynamo.client(), ...options });
    for (const region of options.regions) {
      const table = `${options.tableName}.${region}`;
      await options.dynamo.createLedgerTable(table);
      const base = new DynamoLedger(replicated.client, table);
      replicated.replicas.set(region, {
        table,
        ledger: trackPort(replicated.replicating(region, base), options.clock),
      });
    }
    return replicated;
  }

  /** The replica of a region, as code running there sees the table. */
  in(region: string): Ledger {
    const replica = this.replicas.get(region);
    if (replica === undefined) throw new Error(`no ledger replica in ${region}`);
    return replica.ledger;
  }

  /** Copies still waiting to be applied somewhere. */
  get replicating(): (region: string, base: DynamoLedger) => Ledger {
    return (region, base) => ({
      putRun: async (run: RunRecord) => {
        await base.putRun(run);
        await this.stamp(region, runKey(run));
        this.replicate(region, runKey(run));
      },
      listRuns: (application, kind, limit) => base.listRuns(application, kind, limit),
      listRunsBetween: (application, kind, range, limit) =>
        base.listRunsBetween(application, kind, range, limit),
      listRunsByKind: (kind, limit) => base.listRunsByKind(kind, limit),
      acquireLock: async (application, owner, now, leaseSeconds, purpose): Promise<AcquireLockResult> => {
        const result = await base.acquireLock(application, owner, now, leaseSeconds, purpose);
        if (result.acquired) {
          await this.stamp(region, lockKey(application));
          this.replicate(region, lockKey(application));
        }
        return result;
      },
      releaseLock: async (application, owner) => {
        const released = await base.releaseLock(application, owner);
        if (released) this.replicate(region, lockKey(application), this.clock.seconds);
        return released;
      },
      getLock: (application) => base.getLock(application),
      recordHealth: async (record) => {
        const before = await base.getHealth(record.application, record.region);
        await base.recordHealth(record);
        if (before?.state === record.state) return;
        const key = healthKey(record.application, record.region);
        await this.stamp(region, key);
        this.replicate(region, key);
      },
      getHealth: (application, healthRegion) => base.getHealth(application, healthRegion),
    });
  }

  /**
   * A write made to a region's replica by other code (a function's own DynamoDB client, on the
   * AWS twin): stamped and copied to the other replicas, as the global table would.
   */
  async replicateWrite(region: string, key: Key): Promise<void> {
    await this.stamp(region, key);
    this.replicate(region, key);
  }

  /** A delete made to a region's replica by other code: copied to the other replicas. */
  replicateDelete(region: string, key: Key): void {
    this.replicate(region, key, this.clock.seconds);
  }

  /** The embedded table that stands for the global table's replica in `region`. */
  tableIn(region: string): string {
    return this.table(region);
  }

  /** Whether every copy has been applied. */
  get settled(): boolean {
    return this.pending === 0;
  }

  private table(region: string): string {
    const replica = this.replicas.get(region);
    if (replica === undefined) throw new Error(`no ledger replica in ${region}`);
    return replica.table;
  }

  private async stamp(region: string, key: Key): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table(region),
        Item: { ...(await this.read(region, key)), [WRITTEN_AT]: { N: String(this.clock.seconds) } },
      }),
    );
  }

  private async read(region: string, key: Key): Promise<Key | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table(region), Key: key, ConsistentRead: true }),
    );
    return out.Item;
  }

  /** Copies the item at `key` from `source` to every other replica after the delay; a delete if it is gone. */
  private replicate(source: string, key: Key, deletedAt?: number): void {
    for (const region of this.replicas.keys()) {
      if (region === source) continue;
      this.pending++;
      const apply = (): void => {
        if (this.isDown(region)) {
          this.defer(region, apply);
          return;
        }
        void this.clock.track(this.copy(source, region, key, deletedAt)).finally(() => {
          this.pending--;
        });
      };
      this.clock.schedule(this.clock.seconds + this.delaySeconds(), apply);
    }
  }

  /**
   * Holds a copy for a region that is down until it returns, in the order the copies came. One
   * check a second per down region, however many copies wait (a day's outage queues thousands).
   */
  private defer(region: string, apply: () => void): void {
    const waiting = this.deferred.get(region);
    if (waiting !== undefined) {
      waiting.push(apply);
      return;
    }
    this.deferred.set(region, [apply]);
    const check = (): void => {
      if (this.isDown(region)) {
        this.clock.schedule(this.clock.seconds + 1, check);
        return;
      }
      const due = this.deferred.get(region) ?? [];
      this.deferred.delete(region);
      for (const run of due) run();
    };
    this.clock.schedule(this.clock.seconds + 1, check);
  }

  private async copy(
    source: string,
    destination: string,
    key: Key,
    deletedAt: number | undefined,
  ): Promise<void> {
    const item = await this.read(source, key);
    const current = await this.read(destination, key);
    const currentAt = Number(current?.[WRITTEN_AT]?.N ?? '-1');
    if (item === undefined || deletedAt !== undefined) {
      // A delete replicates unless the destination has been written since.
      if (current !== undefined && (deletedAt ?? Number.POSITIVE_INFINITY) >= currentAt) {
        await this.client.send(new DeleteItemCommand({ TableName: this.table(destination), Key: key }));
      }
      return;
    }
    const itemAt = Number(item[WRITTEN_AT]?.N ?? '0');
    if (itemAt >= currentAt) {
      await this.client.send(new PutItemCommand({ TableName: this.table(destination), Item: item }));
    }
  }
}

function runKey(run: RunRecord): Key {
  return {
    [LEDGER_SCHEMA.partitionKey]: { S: `APP#${run.application}` },
    [LEDGER_SCHEMA.sortKey]: { S: `RUN#${run.kind}#${run.startedAt}#${run.executionName}` },
  };
}

function healthKey(application: string, region: string): Key {
  return {
    [LEDGER_SCHEMA.partitionKey]: { S: `APP#${application}` },
    [LEDGER_SCHEMA.sortKey]: { S: `HEALTH#${region}` },
  };
}

function lockKey(application: string): Key {
  return {
    [LEDGER_SCHEMA.partitionKey]: { S: `APP#${application}` },
    [LEDGER_SCHEMA.sortKey]: { S: 'LOCK' },
  };
}
