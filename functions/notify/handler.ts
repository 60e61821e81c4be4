import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { FailoverSteps, runFailoverStep } from '../../shared/failover/FailoverSteps.ts';
import {
  classified,
  lambdaConfig,
  lambdaEstate,
  noLedger,
  LogNotifier,
  systemClock,
} from '../../shared/runtime/lambdaEstate.ts';

const FUNCTION = 'lifeboat-notify';
const logger = new Logger();
const tracer = new Tracer();

const steps = new FailoverSteps({
  config: lambdaConfig(),
  ledger: noLedger(FUNCTION),
  ledgerIn: () => noLedger(FUNCTION, 'ledger of another region'),
  clock: systemClock,
  estate: lambdaEstate(FUNCTION, { notifier: new LogNotifier(logger) }),
});

/** Notify: the run's outcome to the team (for now a structured log line; see LogNotifier). */
export const handler = middy(classified((event: unknown) => runFailoverStep(FUNCTION, event, steps)))
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer));
