import { classifyError } from '../../shared/errors.ts';
import {
  FAILOVER_FUNCTIONS,
  FailoverSteps,
  runFailoverStep,
  type FailoverFunctionName,
} from '../../shared/failover/FailoverSteps.ts';
import { handleAlarmEvent } from '../../shared/trigger/Trigger.ts';
import type { LocalFunction } from '../runner/WorkflowRunner.ts';
import { worldEstate } from '../world/WorldEstate.ts';
import type { SimulationContext, SimulationOptions } from './Simulation.ts';

/** The states after which a failover or failback acts on the estate (invariant 4 keeps them apart). */
export const ACTING_STATES: Readonly<Record<string, readonly string[]>> = {
  failover: ['FenceSource', 'PromoteDatabase', 'ScaleNodeGroups', 'ShiftTraffic'],
};

function stepsFor(context: SimulationContext): FailoverSteps {
  const { scenario, world, clock, ledger } = context;
  return new FailoverSteps({
    config: scenario.config,
    estate: worldEstate(world, { channel: scenario.config.slack.channelId }),
    ledger,
    clock,
  });
}

/**
 * Lifeboat's functions on the local runtime: each Lambda of the failover bound to the same step
 * operation its handler runs in AWS, with its errors classified the same way; the trigger listening
 * on every control-plane region's bus.
 */
export function localRuntime(): Pick<
  SimulationOptions,
  'functions' | 'substitutions' | 'actingStates' | 'lockingWorkflows' | 'setup'
> {
  return {
    functions: (context) => {
      const steps = stepsFor(context);
      const functions: Record<string, LocalFunction> = {};
      for (const name of Object.keys(FAILOVER_FUNCTIONS) as FailoverFunctionName[]) {
        functions[name] = async (payload) => {
          try {
            return await runFailoverStep(name, payload, steps);
          } catch (error) {
            throw classifyError(error);
          }
        };
      }
      return functions;
    },
    substitutions: () => ({}),
    actingStates: ACTING_STATES,
    lockingWorkflows: ['failover', 'failback'],
    setup: (context) => {
      const { scenario, world, clock, ledger } = context;
      const estate = worldEstate(world, { channel: scenario.config.slack.channelId });
      world.onEvent((delivered) => {
        const deps = {
          config: scenario.config,
          estate,
          ledger,
          clock,
          region: delivered.busRegion,
          starter: {
            start: (workflow: 'failover', name: string, input: Record<string, unknown>) => {
              const runner = context.runner();
              const before = runner.executions.length;
              try {
                runner.start(workflow, input, name);
              } catch (error) {
                if ((error as Error).name === 'ExecutionAlreadyExists')
                  return Promise.resolve('already-started' as const);
                throw error;
              }
              return Promise.resolve(
                runner.executions.length > before ? ('started' as const) : ('already-started' as const),
              );
            },
          },
        };
        // EventBridge invokes the trigger asynchronously: Lambda retries a failed invocation twice,
        // about a minute and then two minutes later.
        const invoke = (attempt: number): void => {
          handleAlarmEvent(delivered.event, deps).then(
            (outcome) => {
              if (outcome.action === 'started') {
                world.timeline.push({
                  at: clock.seconds,
                  kind: 'execution',
                  application: outcome.application,
                  region: delivered.busRegion,
                  text: `trigger in ${delivered.busRegion} started ${outcome.execution}`,
                });
              }
            },
            (error: unknown) => {
              const retryIn = [60, 120][attempt];
              world.timeline.push({
                at: clock.seconds,
                kind: 'execution',
                region: delivered.busRegion,
                text: `trigger in ${delivered.busRegion} failed: ${(error as Error).message}${retryIn === undefined ? '' : `; retried in ${retryIn} s`}`,
              });
              if (retryIn !== undefined)
                clock.schedule(clock.seconds + retryIn, () => {
                  invoke(attempt + 1);
                });
            },
          );
        };
        invoke(0);
      });
    },
  };
}
