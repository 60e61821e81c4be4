import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { LEDGER_SCHEMA } from '../../shared/ledger/schema.ts';

const DEFAULT_REGION = 'us-east-1';

/** dynalite checks no signatures, but the SDK must sign; these never leave the machine. */
const DUMMY_CREDENTIALS = { accessKeyId: 'lifeboat-local', secretAccessKey: 'lifeboat-local' };

const TABLE_ACTIVE_TIMEOUT_MS = 10_000;
const TABLE_POLL_INTERVAL_MS = 5;

/**
 * An in-memory DynamoDB (dynalite) on 127.0.0.1 at a port the OS picks, for the local runtime and
 * tests: nothing persists past `stop()` and nothing listens beyond loopback.
 */
export class EmbeddedDynamo {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly #server: Server;
  readonly #clients = new Set<DynamoDBClient>();
  #admin: DynamoDBClient | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(server: Server, endpoint: string) {
    this.#server = server;
    this.endpoint = endpoint;
  }

  static async start(): Promise<EmbeddedDynamo> {
    // Tables become ACTIVE at once instead of after dynalite's default half second.
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    return new EmbeddedDynamo(server, `http://127.0.0.1:${address.port}`);
  }

  /** A client for this endpoint with dummy credentials; `stop()` destroys it. */
  client(region: string = DEFAULT_REGION): DynamoDBClient {
    if (this.#stopping !== undefined) throw new Error(`EmbeddedDynamo at ${this.endpoint} is stopped`);
    const client = new DynamoDBClient({ region, endpoint: this.endpoint, credentials: DUMMY_CREDENTIALS });
    this.#clients.add(client);
    return client;
  }

  /**
   * Creates the ledger table as the CDK stack does (string pk/sk, on-demand, the `byKind` index
   * projecting everything) and resolves once it and its index are ACTIVE. TTL is left off: dynalite
   * does not implement it, and the ledger's correctness never depends on it.
   */
  async createLedgerTable(tableName: string): Promise<void> {
    const admin = (this.#admin ??= this.client());
    await admin.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: LEDGER_SCHEMA.partitionKey, AttributeType: 'S' },
          { AttributeName: LEDGER_SCHEMA.sortKey, AttributeType: 'S' },
          { AttributeName: LEDGER_SCHEMA.byKindPartitionKey, AttributeType: 'S' },
          { AttributeName: LEDGER_SCHEMA.byKindSortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: LEDGER_SCHEMA.partitionKey, KeyType: 'HASH' },
          { AttributeName: LEDGER_SCHEMA.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: [
          {
            IndexName: LEDGER_SCHEMA.byKindIndex,
            KeySchema: [
              { AttributeName: LEDGER_SCHEMA.byKindPartitionKey, KeyType: 'HASH' },
              { AttributeName: LEDGER_SCHEMA.byKindSortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    // Even with createTableMs 0 dynalite answers CREATING and flips to ACTIVE on a later tick.
    const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
    for (;;) {
      const { Table: table } = await admin.send(new DescribeTableCommand({ TableName: tableName }));
      const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every(
        (index) => index.IndexStatus === 'ACTIVE',
      );
      if (table?.TableStatus === 'ACTIVE' && indexesActive) return;
      if (Date.now() > deadline) {
        throw new Error(
          `Ledger table ${tableName} in the embedded DynamoDB was not ACTIVE after ${TABLE_ACTIVE_TIMEOUT_MS} ms (status ${table?.TableStatus ?? 'unknown'})`,
        );
      }
      await sleep(TABLE_POLL_INTERVAL_MS);
    }
  }

  /** Destroys the clients made here and closes the server and its store; later calls are no-ops. */
  stop(): Promise<void> {
    this.#stopping ??= this.#close();
    return this.#stopping;
  }

  async #close(): Promise<void> {
    // Destroying the clients drops their keep-alive sockets, which would otherwise hold close() open.
    for (const client of this.#clients) client.destroy();
    this.#clients.clear();
    this.#admin = undefined;
    await new Promise<void>((resolve, reject) => {
      // dynalite's close reports success as null, not undefined.
      this.#server.close((error) => {
        if (error instanceof Error) reject(error);
        else resolve();
      });
    });
  }
}
