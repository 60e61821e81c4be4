import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { LEDGER_SCHEMA } from '../../../shared/ledger/schema.ts';
import type { VirtualClock } from '../../clock/VirtualClock.ts';
import type { ReplicatedLedger } from '../../ledger/ReplicatedLedger.ts';
import type { World } from '../../world/World.ts';
import { outsideContainers } from '../LambdaSandbox.ts';

type Item = Record<string, AttributeValue>;

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

/**
 * DynamoDB for the functions on the AWS twin: the call, already checked, is sent by the function's
 * own client to the embedded DynamoDB (dynalite, on loopback), to the table that stands for the
 * global table's replica in the client's region. A successful write is then copied to the other
 * replicas after the replication delay, last writer winning, as a global table without multi-Region
 * strong consistency does. A region that is down, or a scenario's `api-error`, fails the call first.
 */
export function dynamoDbPassThrough(options: {
  readonly world: World;
  readonly clock: VirtualClock;
  readonly ledger: ReplicatedLedger;
  readonly tableName: string;
}): (
  operation: string,
  input: Readonly<Record<string, unknown>>,
  region: string,
  send: (input: Readonly<Record<string, unknown>>) => Promise<unknown>,
) => Promise<unknown> {
  const { world, clock, ledger, tableName } = options;
  return async (operation, input, region, send) => {
    world.faults.check('dynamodb', operation, region);
    if (input.TableName !== tableName) {
      // Only the ledger exists: another table is not found, as DynamoDB answers.
      return send({ ...input, TableName: `${String(input.TableName)}.absent` });
    }
    let replica: string;
    try {
      replica = ledger.tableIn(region);
    } catch {
      return send({ ...input, TableName: `${tableName}.${region}.absent` });
    }
    const output = await clock.track(send({ ...input, TableName: replica }));
    if (WRITES.has(operation)) {
      const key = keyOf(operation, input);
      if (key !== undefined) {
        if (operation === 'DeleteItem') ledger.replicateDelete(region, key);
        else await outsideContainers(() => clock.track(ledger.replicateWrite(region, key)));
      }
    }
    world.clock.touch();
    return output;
  };
}

function keyOf(operation: string, input: Readonly<Record<string, unknown>>): Item | undefined {
  const source = (operation === 'PutItem' ? input.Item : input.Key) as Item | undefined;
  const pk = source?.[LEDGER_SCHEMA.partitionKey];
  const sk = source?.[LEDGER_SCHEMA.sortKey];
  if (pk === undefined || sk === undefined) return undefined;
  return { [LEDGER_SCHEMA.partitionKey]: pk, [LEDGER_SCHEMA.sortKey]: sk };
}
