/**
 * The ledger table's key design, shared by the CDK stack that creates it, the DynamoDB adapter and
 * the local runtime that creates the same table in the embedded DynamoDB.
 *
 * | item      | pk                  | sk                                  | gsi1pk        | gsi1sk                     |
 * |-----------|---------------------|-------------------------------------|---------------|----------------------------|
 * | run       | `APP#<app>`         | `RUN#<kind>#<startedAt>#<name>`     | `KIND#<kind>` | `<startedAt>#<app>#<name>` |
 * | lock      | `APP#<app>`         | `LOCK`                              |               |                            |
 *
 * Runs cover failovers, failbacks, backups, restore tests and drills: the last N of one kind for one
 * application is a single Query on `pk` with `begins_with(sk, "RUN#<kind>#")`, newest first; the
 * last N of one kind across applications is a Query on the `byKind` index. Locks carry a lease
 * (`leaseExpiresAt`, epoch seconds) that every conditional write compares explicitly, so correctness
 * never depends on DynamoDB's TTL, which only sweeps items whose `expiresAt` has passed. Nothing
 * needs a transaction.
 */
export const LEDGER_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  byKindIndex: 'byKind',
  byKindPartitionKey: 'gsi1pk',
  byKindSortKey: 'gsi1sk',
  expiryAttribute: 'expiresAt',
} as const;
