import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import middy from '@middy/core';
import { CloudWatchAlarms } from '../../shared/aws/CloudWatchAlarms.ts';
import { CloudWatchFence } from '../../shared/aws/CloudWatchFence.ts';
import { HttpProbe } from '../../shared/aws/HttpProbe.ts';
import { cachedHealthCheckIds, DiscoveringRoute53Dns } from '../../shared/aws/healthCheckDiscovery.ts';
import { FailoverSteps, runFailoverStep } from '../../shared/failover/FailoverSteps.ts';
import {
  classified,
  clientConfig,
  lambdaConfig,
  lambdaEstate,
  noLedger,
  lambdaRegion,
  perRegion,
  systemClock,
} from '../../shared/runtime/lambdaEstate.ts';

const FUNCTION = 'lifeboat-traffic';
const logger = new Logger();
const tracer = new Tracer();
const config = lambdaConfig();
const route53 = tracer.captureAWSv3Client(new Route53Client(clientConfig()));
const cloudWatchIn = perRegion((region) =>
  tracer.captureAWSv3Client(new CloudWatchClient(clientConfig(region))),
);
const route53Dns = new DiscoveringRoute53Dns(route53, cachedHealthCheckIds(route53, config));

const steps = new FailoverSteps({
  config,
  ledger: noLedger(FUNCTION),
  ledgerIn: () => noLedger(FUNCTION, 'ledger of another region'),
  clock: systemClock,
  estate: lambdaEstate(FUNCTION, {
    // The fence is published where this workflow runs: the target's region, which is up.
    fence: new CloudWatchFence(cloudWatchIn(lambdaRegion())),
    dns: route53Dns,
    health: route53Dns,
    alarms: new CloudWatchAlarms(cloudWatchIn),
    probe: new HttpProbe(),
  }),
});

/** FenceSource, ShiftTraffic, CheckChange and VerifyTarget. */
export const handler = middy(classified((event: unknown) => runFailoverStep(FUNCTION, event, steps)))
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer));
