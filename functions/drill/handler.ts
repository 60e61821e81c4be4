import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { slackNotifier } from '../../shared/runtime/slackRuntime.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import { Route53Dns } from '../../shared/aws/Route53Dns.ts';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SFNClient } from '@aws-sdk/client-sfn';
import { deployedWorkflows } from '../../shared/aws/StepFunctionsControl.ts';
import { AlarmHealth } from '../../shared/failover/alarmHealth.ts';
import { CloudWatchAlarms } from '../../shared/aws/CloudWatchAlarms.ts';
import { CloudWatchMetrics } from '../../shared/aws/CloudWatchMetrics.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { EksWorkloads } from '../../shared/aws/EksWorkloads.ts';
import { HttpProbe } from '../../shared/aws/HttpProbe.ts';
import { ElastiCacheStores } from '../../shared/aws/ElastiCacheStores.ts';
import { engineDatabases } from '../../shared/aws/EngineDatabases.ts';
import { RdsSnapshots } from '../../shared/aws/RdsSnapshots.ts';
import { DRILL_FUNCTIONS, DrillSteps } from '../../shared/drill/DrillSteps.ts';
import {
  clientConfig,
  lambdaConfig,
  ledgerTableName,
  perRegion,
  requireEnv,
} from '../../shared/runtime/lambdaEstate.ts';
import { stepHandler } from '../../shared/runtime/stepHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-drill';
const logger = new Logger();
const tracing = await functionTracing();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
const route53 = tracing.client(new Route53Client(clientConfig()));
const cloudWatchIn = perRegion((region) => tracing.client(new CloudWatchClient(clientConfig(region))));
const alarms = new CloudWatchAlarms(cloudWatchIn);
const eksIn = perRegion((region) => tracing.client(new EKSClient(clientConfig(region))));
const rdsIn = perRegion((region) => tracing.client(new RDSClient(clientConfig(region))));
const route53Dns = new Route53Dns(route53, {});
// A game day starts the failover and the failback in the regions they move traffic to.
const workflows = deployedWorkflows(
  perRegion((region) => tracing.client(new SFNClient(clientConfig(region)))),
  requireEnv('LIFEBOAT_ACCOUNT'),
  requireEnv('LIFEBOAT_PARTITION'),
);

/**
 * The drill. Readiness: every failover preflight check and more, changing nothing. Game day: starts
 * the real failover and failback of a drill application and judges them from the ledger.
 */
export const handler = stepHandler(
  FUNCTION,
  DRILL_FUNCTIONS[FUNCTION],
  (deps) => new DrillSteps({ ...deps, workflows }),
  {
    logger,
    tracing,
    ports: {
      // Weights (where traffic is now) and health-check status, read, never changed.
      dns: route53Dns,
      // Route 53's view of each region: its health check's alarm in us-east-1 (AlarmHealth).
      health: new AlarmHealth(alarms),
      alarms,
      probe: new HttpProbe(),
      metrics: new CloudWatchMetrics(cloudWatchIn),
      // DescribeCluster and DescribeNodegroup, and the cluster's nodes from its Kubernetes API (the
      // role's EKS access entry, in the cluster-access stack, reads them).
      workloads: new EksWorkloads({ clientFor: eksIn, credentials: defaultProvider() }),
      backups: new RdsSnapshots(rdsIn),
      // What each standby's database replicates from (DescribeDBInstances, DescribeGlobalClusters).
      database: engineDatabases({
        rds: rdsIn,
        eks: () => Promise.resolve({ clientFor: eksIn, credentials: defaultProvider() }),
      }),
      // Each store's members and their lag (DescribeGlobalReplicationGroups, the lag metric).
      stores: new ElastiCacheStores(
        perRegion((region) => tracing.client(new ElastiCacheClient(clientConfig(region)))),
        cloudWatchIn,
      ),
      notifier: slackNotifier(lambdaConfig(), tracing.client(new SecretsManagerClient(clientConfig())))
        .notifier,
    },
    ledger: new DynamoLedger(dynamo, ledgerTableName()),
  },
);
