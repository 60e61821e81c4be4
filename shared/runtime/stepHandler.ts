import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { FunctionTracing } from './tracing.ts';
import middy from '@middy/core';
import type { LifeboatConfig } from '../config/LifeboatConfig.ts';
import type { Clock } from '../ports/Clock.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger } from '../ports/Ledger.ts';
import { classified, lambdaConfig, lambdaEstate, noLedger, systemClock } from './lambdaEstate.ts';
import { runStep } from './runStep.ts';

/**
 * The handler of a backup, restore-test or drill function: its steps over the ports it was given
 * (others refuse, naming the function), the operations it may run, errors classified for the state
 * machine's Retry and Catch, Powertools' logger around it (and the X-Ray SDK's handler subsegment when AWS calls are traced). Built once per container.
 */
export function stepHandler(
  functionName: string,
  allowed: readonly string[],
  steps: (deps: { config: LifeboatConfig; estate: Estate; ledger: Ledger; clock: Clock }) => object,
  options: {
    readonly logger: Logger;
    readonly tracing: FunctionTracing;
    readonly ports?: Partial<Estate>;
    readonly ledger?: Ledger;
  },
) {
  const built = steps({
    config: lambdaConfig(),
    estate: lambdaEstate(functionName, options.ports ?? {}),
    ledger: options.ledger ?? noLedger(functionName),
    clock: systemClock,
  });
  return middy(classified((event: unknown) => runStep(functionName, allowed, event, built)))
    .use(injectLambdaContext(options.logger))
    .use(options.tracing.middlewares);
}
