import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Route53Dns } from '../../shared/aws/Route53Dns.ts';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import middy from '@middy/core';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { AlarmHealth } from '../../shared/failover/alarmHealth.ts';
import { CloudWatchAlarms } from '../../shared/aws/CloudWatchAlarms.ts';
import { CloudWatchMetrics } from '../../shared/aws/CloudWatchMetrics.ts';
import { EksWorkloads } from '../../shared/aws/EksWorkloads.ts';
import { ElastiCacheStores } from '../../shared/aws/ElastiCacheStores.ts';
import { HttpProbe } from '../../shared/aws/HttpProbe.ts';
import {
  classified,
  clientConfig,
  lambdaConfig,
  lambdaEstate,
  ledgerTableName,
  lambdaRegion,
  perRegion,
  requireEnv,
  StepFunctionsStarter,
  systemClock,
} from '../../shared/runtime/lambdaEstate.ts';
import {
  handleAlarmEvent,
  type AlarmStateChange,
  type TriggerDeps,
  type TriggerOutcome,
} from '../../shared/trigger/Trigger.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-trigger';
const logger = new Logger();
const tracing = await functionTracing();
const config = lambdaConfig();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
const route53 = tracing.client(new Route53Client(clientConfig()));
const sfn = tracing.client(new SFNClient(clientConfig()));
const cloudWatchIn = perRegion((region) => tracing.client(new CloudWatchClient(clientConfig(region))));
const alarms = new CloudWatchAlarms(cloudWatchIn);
const eksIn = perRegion((region) => tracing.client(new EKSClient(clientConfig(region))));
const route53Dns = new Route53Dns(route53, {});

const deps: TriggerDeps = {
  config,
  // Only read, when Route 53's API cannot say which region serves: the last failover's target.
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
  clock: systemClock,
  region: lambdaRegion(),
  starter: new StepFunctionsStarter((input) => sfn.send(new StartExecutionCommand(input)), {
    failover: requireEnv('LIFEBOAT_FAILOVER_ARN'),
  }),
  estate: lambdaEstate(FUNCTION, {
    dns: route53Dns,
    // Route 53's view of each region: its health check's alarm in us-east-1 (AlarmHealth).
    health: new AlarmHealth(alarms),
    alarms,
    // The standbys' replica lag, to prefer one within the budget (chooseStandby).
    metrics: new CloudWatchMetrics(cloudWatchIn),
    // The standbys' stores' lag too: a standby whose store lags past the budget is not preferred.
    stores: new ElastiCacheStores(
      perRegion((region) => tracing.client(new ElastiCacheClient(clientConfig(region)))),
      cloudWatchIn,
    ),
    probe: new HttpProbe(),
    // automation.preScaleOnFirstSignal: the standby's own node groups and deployments, through the
    // role's access entry on its cluster (the ClusterAccess stack gives one only where it is used).
    workloads: new EksWorkloads({ clientFor: eksIn, credentials: defaultProvider() }),
  }),
};

async function trigger(event: AlarmStateChange): Promise<TriggerOutcome> {
  const outcome = await handleAlarmEvent(event, deps);
  // EventBridge discards what an asynchronous invocation returns: the log says why an alarm was ignored.
  logger.info('trigger outcome', { outcome });
  return outcome;
}

/** Detection alarm state changes from the lifeboat bus; starts a failover when a quorum says so. */
export const handler = middy(classified(trigger)).use(injectLambdaContext(logger)).use(tracing.middlewares);
