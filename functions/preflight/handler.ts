import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EKSClient } from '@aws-sdk/client-eks';
import { Route53Client } from '@aws-sdk/client-route-53';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import middy from '@middy/core';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { CloudWatchAlarms } from '../../shared/aws/CloudWatchAlarms.ts';
import { CloudWatchMetrics } from '../../shared/aws/CloudWatchMetrics.ts';
import { EksWorkloads } from '../../shared/aws/EksWorkloads.ts';
import { HttpProbe } from '../../shared/aws/HttpProbe.ts';
import { cachedHealthCheckIds, DiscoveringRoute53Dns } from '../../shared/aws/healthCheckDiscovery.ts';
import { FailoverSteps, runFailoverStep } from '../../shared/failover/FailoverSteps.ts';
import {
  classified,
  clientConfig,
  lambdaConfig,
  lambdaEstate,
  noLedger,
  ledgerTableName,
  perRegion,
  systemClock,
} from '../../shared/runtime/lambdaEstate.ts';

const FUNCTION = 'lifeboat-preflight';
const logger = new Logger();
const tracer = new Tracer();
const config = lambdaConfig();
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient(clientConfig()));
const route53 = tracer.captureAWSv3Client(new Route53Client(clientConfig()));
const cloudWatchIn = perRegion((region) =>
  tracer.captureAWSv3Client(new CloudWatchClient(clientConfig(region))),
);
const eksIn = perRegion((region) => tracer.captureAWSv3Client(new EKSClient(clientConfig(region))));

const steps = new FailoverSteps({
  config,
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
  ledgerIn: () => noLedger(FUNCTION, 'ledger of another region'),
  clock: systemClock,
  estate: lambdaEstate(FUNCTION, {
    health: new DiscoveringRoute53Dns(route53, cachedHealthCheckIds(route53, config)),
    alarms: new CloudWatchAlarms(cloudWatchIn),
    probe: new HttpProbe(),
    metrics: new CloudWatchMetrics(cloudWatchIn),
    // Only DescribeCluster here: no Kubernetes call, so the credentials are never used to sign one.
    workloads: new EksWorkloads({ clientFor: eksIn, credentials: defaultProvider() }),
  }),
});

/** The preflight checks (target health, source down, replica lag, cooldown, target cluster) and Decide. */
export const handler = middy(classified((event: unknown) => runFailoverStep(FUNCTION, event, steps)))
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer));
