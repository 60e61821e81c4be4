import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CloudWatchAlarms } from '../../shared/aws/CloudWatchAlarms.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { HttpProbe } from '../../shared/aws/HttpProbe.ts';
import { Route53Dns } from '../../shared/aws/Route53Dns.ts';
import { deployedWorkflows } from '../../shared/aws/StepFunctionsControl.ts';
import { EVACUATION_FUNCTIONS, EvacuationSteps } from '../../shared/evacuation/EvacuationSteps.ts';
import { AlarmHealth } from '../../shared/failover/alarmHealth.ts';
import { clientConfig, ledgerTableName, perRegion, requireEnv } from '../../shared/runtime/lambdaEstate.ts';
import { stepHandler } from '../../shared/runtime/stepHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-evacuation';
const logger = new Logger();
const tracing = await functionTracing();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
const route53 = tracing.client(new Route53Client(clientConfig()));
const alarms = new CloudWatchAlarms(
  perRegion((region) => tracing.client(new CloudWatchClient(clientConfig(region)))),
);
// Each failover starts in the region it moves traffic to.
const workflows = deployedWorkflows(
  perRegion((region) => tracing.client(new SFNClient(clientConfig(region)))),
  requireEnv('LIFEBOAT_ACCOUNT'),
  requireEnv('LIFEBOAT_PARTITION'),
);

/**
 * The region evacuation: plans which applications the failing region serves and where each goes,
 * takes the region's evacuation lock, starts their failovers and follows them in the ledger, then
 * records each application's outcome.
 */
export const handler = stepHandler(
  FUNCTION,
  EVACUATION_FUNCTIONS[FUNCTION],
  (deps) => new EvacuationSteps({ ...deps, workflows }),
  {
    logger,
    tracing,
    ports: {
      // Where each application is served now (its records' weights), read, never changed.
      dns: new Route53Dns(route53, {}),
      // Each standby's health: Route 53's view (its health check's alarm), else the probes' alarms.
      health: new AlarmHealth(alarms),
      alarms,
      probe: new HttpProbe(),
    },
    ledger: new DynamoLedger(dynamo, ledgerTableName()),
  },
);
