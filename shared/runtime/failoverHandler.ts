import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { FunctionTracing } from './tracing.ts';
import middy from '@middy/core';
import { ApprovalSteps } from '../approval/ApprovalSteps.ts';
import { FailbackSteps } from '../failback/FailbackSteps.ts';
import { DrainSteps } from '../drain/DrainSteps.ts';
import { FailoverSteps } from '../failover/FailoverSteps.ts';
import type { ApprovalStore } from '../ports/Approvals.ts';
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
import { runWorkflowStep, type StepFunctionName } from './workflowSteps.ts';

/**
 * The handler of one of the failover's and failback's step functions: the steps over the ports
 * this function was given (others refuse with a message naming the function), errors classified
 * for the state machines' Retry and Catch, Powertools' logger around it (and the X-Ray SDK's handler subsegment when AWS calls are traced). Built once per
 * container.
 */
export function failoverHandler(
  functionName: StepFunctionName,
  options: {
    readonly logger: Logger;
    readonly tracing: FunctionTracing;
    readonly ports?: Partial<Estate>;
    readonly ledger?: Ledger;
    readonly ledgerIn?: (region: string) => Ledger;
    /** The approvals (the approval function only). */
    readonly approvals?: ApprovalStore;
  },
) {
  const deps = {
    config: lambdaConfig(),
    ledger: options.ledger ?? noLedger(functionName),
    ledgerIn: options.ledgerIn ?? (() => noLedger(functionName, 'ledger of another region')),
    clock: systemClock,
    region: lambdaRegion(),
    estate: lambdaEstate(functionName, options.ports ?? {}),
  };
  const targets = {
    failover: new FailoverSteps(deps),
    failback: new FailbackSteps(deps),
    drain: new DrainSteps(deps),
    ...(options.approvals === undefined
      ? {}
      : {
          approval: new ApprovalSteps({
            ...deps,
            approvals: options.approvals,
            notifier: deps.estate.notifier,
          }),
        }),
  };
  return middy(classified((event: unknown) => runWorkflowStep(functionName, event, targets)))
    .use(injectLambdaContext(options.logger))
    .use(options.tracing.middlewares);
}
