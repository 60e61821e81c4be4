import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { FailoverSteps, runFailoverStep, type FailoverFunctionName } from '../failover/FailoverSteps.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger } from '../ports/Ledger.ts';
import {
  classified,
  lambdaConfig,
  lambdaEstate,
  lambdaRegion,
  noLedger,
  systemClock,
} from './lambdaEstate.ts';

/**
 * The handler of one of the failover's functions: the steps over the ports this function was given
 * (others refuse with a message naming the function), errors classified for the state machine's
 * Retry and Catch, Powertools' logger and tracer around it. Built once per container.
 */
export function failoverHandler(
  functionName: FailoverFunctionName,
  options: {
    readonly logger: Logger;
    readonly tracer: Tracer;
    readonly ports?: Partial<Estate>;
    readonly ledger?: Ledger;
    readonly ledgerIn?: (region: string) => Ledger;
  },
) {
  const steps = new FailoverSteps({
    config: lambdaConfig(),
    ledger: options.ledger ?? noLedger(functionName),
    ledgerIn: options.ledgerIn ?? (() => noLedger(functionName, 'ledger of another region')),
    clock: systemClock,
    region: lambdaRegion(),
    estate: lambdaEstate(functionName, options.ports ?? {}),
  });
  return middy(classified((event: unknown) => runFailoverStep(functionName, event, steps)))
    .use(injectLambdaContext(options.logger))
    .use(captureLambdaHandler(options.tracer));
}
