import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { engineDatabases, type EngineDatabases } from '../../../shared/aws/EngineDatabases.ts';
import { clientConfig, perRegion } from '../../../shared/runtime/lambdaEstate.ts';

/**
 * The SDK clients the commands that talk to a deployed Lifeboat use, one per region. Commands take
 * them from `CliIo.aws` when given (tests inject mocked clients) and from `defaultAwsClients()`
 * otherwise. Every call goes through an adapter in `shared/aws/`.
 */
export interface AwsClients {
  sfn(region: string): SFNClient;
  dynamodb(region: string): DynamoDBClient;
  rds(region: string): RDSClient;
  /** The stores' Global Datastores (`stores` in the config). */
  elastiCache(region: string): ElastiCacheClient;
  cloudWatch(region: string): CloudWatchClient;
  /** Route 53's API is global; its endpoint is in us-east-1. */
  route53(): Route53Client;
  /**
   * The EKS API, for the endpoints of the clusters whose Kubernetes API holds a CloudNativePG
   * `Cluster` (read with a token the operator's credentials sign); none: such databases are not read.
   */
  eks?(region: string): EKSClient;
}

/** The database port of the commands: RDS and Aurora, and CloudNativePG's Clusters when `eks` is given. */
export function cliDatabases(clients: AwsClients): EngineDatabases {
  const eks = clients.eks?.bind(clients);
  return engineDatabases({
    rds: (region) => clients.rds(region),
    eks: () =>
      eks === undefined
        ? Promise.reject(new Error('no EKS client was given: CloudNativePG Clusters are not read'))
        : Promise.resolve({ clientFor: eks, credentials: defaultProvider() }),
  });
}

/**
 * Clients with the default credential chain (environment, shared config and SSO profiles, instance
 * or container roles) and the same call deadlines as the Lambdas: a region that black-holes traffic
 * must not hang the operator's terminal.
 */
export function defaultAwsClients(): AwsClients {
  const sfn = perRegion((region) => new SFNClient(clientConfig(region)));
  const dynamodb = perRegion((region) => new DynamoDBClient(clientConfig(region)));
  const rds = perRegion((region) => new RDSClient(clientConfig(region)));
  const elastiCache = perRegion((region) => new ElastiCacheClient(clientConfig(region)));
  const cloudWatch = perRegion((region) => new CloudWatchClient(clientConfig(region)));
  const eks = perRegion((region) => new EKSClient(clientConfig(region)));
  let route53: Route53Client | undefined;
  return {
    sfn,
    dynamodb,
    rds,
    elastiCache,
    cloudWatch,
    eks,
    route53: () => (route53 ??= new Route53Client(clientConfig('us-east-1'))),
  };
}
