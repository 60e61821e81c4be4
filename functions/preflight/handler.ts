import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { RDSClient } from '@aws-sdk/client-rds';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { CloudWatchAlarms } from '../../shared/aws/CloudWatchAlarms.ts';
import { CloudWatchMetrics } from '../../shared/aws/CloudWatchMetrics.ts';
import { EksWorkloads } from '../../shared/aws/EksWorkloads.ts';
import { HttpProbe } from '../../shared/aws/HttpProbe.ts';
import { ElastiCacheStores } from '../../shared/aws/ElastiCacheStores.ts';
import { engineDatabases } from '../../shared/aws/EngineDatabases.ts';
import { AlarmHealth } from '../../shared/failover/alarmHealth.ts';
import { clientConfig, ledgerTableName, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-preflight';
const logger = new Logger();
const tracing = await functionTracing();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
const cloudWatchIn = perRegion((region) => tracing.client(new CloudWatchClient(clientConfig(region))));
const alarms = new CloudWatchAlarms(cloudWatchIn);
const eksIn = perRegion((region) => tracing.client(new EKSClient(clientConfig(region))));

/** The preflight checks (target health, source down, replica lag, cooldown, target cluster) and Decide. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracing,
  ports: {
    // Route 53's view of the target: its health check's alarm in us-east-1 (AlarmHealth).
    health: new AlarmHealth(alarms),
    alarms,
    probe: new HttpProbe(),
    metrics: new CloudWatchMetrics(cloudWatchIn),
    // The stores' lag (CheckReplicaLag) and, for a failback, the returning region's members.
    stores: new ElastiCacheStores(
      perRegion((region) => tracing.client(new ElastiCacheClient(clientConfig(region)))),
      cloudWatchIn,
    ),
    // CheckReplica (failback): the returning region's database, read only.
    database: engineDatabases({
      rds: perRegion((region) => tracing.client(new RDSClient(clientConfig(region)))),
      eks: () => Promise.resolve({ clientFor: eksIn, credentials: defaultProvider() }),
    }),
    // Only DescribeCluster here: no Kubernetes call, so the credentials are never used to sign one.
    workloads: new EksWorkloads({ clientFor: eksIn, credentials: defaultProvider() }),
  },
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
});
