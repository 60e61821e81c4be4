import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { AwsClients } from '../cli/aws/AwsClients.ts';
import type { AwsTwin } from './AwsTwin.ts';
import type { TwinService } from './types.ts';

/** The credentials the operator's clients sign with (only the embedded DynamoDB sees them). */
const OPERATOR_CREDENTIALS = { accessKeyId: 'AKIAOPERATOREXAMPLE', secretAccessKey: 'operator-example' };

/** The part of an SDK v3 client the routing uses. */
interface RoutableClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: { input: object }) => Promise<{ output: unknown; response: unknown }>,
        context: { commandName?: string },
      ) => (args: { input: object }) => Promise<{ output: unknown; response: unknown }>,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

/**
 * Sends every call of `client` to the AWS twin as the operator's (`AwsTwin.operatorCall`): checked
 * against AWS's API model, recorded, answered by the simulated world. A DynamoDB call goes on down
 * the client's own middleware, over HTTP to the embedded DynamoDB, as the functions' calls do.
 */
function routed<C>(client: C, service: TwinService, region: string, twin: AwsTwin): C {
  (client as unknown as RoutableClient).middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      const output = await twin.operatorCall(
        service,
        operation,
        args.input as Readonly<Record<string, unknown>>,
        region,
        async (input) => (await next({ ...args, input })).output,
      );
      return { output, response: undefined };
    },
    { step: 'initialize', name: 'lifeboatTwinOperator', priority: 'high' },
  );
  return client;
}

/**
 * The operator CLI's clients (`CliIo.aws`) on a rehearsal: `lifeboat stop`, `unlock`, `fence`,
 * `weights`, `status`, ... act on the simulated deployment through the same service twins the
 * functions call, with the same API model checks, while the rehearsal runs.
 */
export function operatorAwsClients(
  twin: AwsTwin,
  dynamoEndpoint: string,
): { readonly clients: AwsClients; close(): void } {
  const cache = new Map<string, unknown>();
  const once = <C>(key: string, make: () => C): C => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as C;
  };
  const base = (region: string) => ({ region, credentials: OPERATOR_CREDENTIALS, maxAttempts: 1 });
  const clients: AwsClients = {
    sfn: (region) => once(`sfn@${region}`, () => routed(new SFNClient(base(region)), 'sfn', region, twin)),
    dynamodb: (region) =>
      once(`dynamodb@${region}`, () =>
        routed(new DynamoDBClient({ ...base(region), endpoint: dynamoEndpoint }), 'dynamodb', region, twin),
      ),
    rds: (region) => once(`rds@${region}`, () => routed(new RDSClient(base(region)), 'rds', region, twin)),
    elastiCache: (region) =>
      once(`elasticache@${region}`, () =>
        routed(new ElastiCacheClient(base(region)), 'elasticache', region, twin),
      ),
    cloudWatch: (region) =>
      once(`cloudwatch@${region}`, () =>
        routed(new CloudWatchClient(base(region)), 'cloudwatch', region, twin),
      ),
    route53: () =>
      once('route53', () => routed(new Route53Client(base('us-east-1')), 'route53', 'us-east-1', twin)),
  };
  return {
    clients,
    close: () => {
      for (const client of cache.values()) (client as { destroy(): void }).destroy();
      cache.clear();
    },
  };
}
