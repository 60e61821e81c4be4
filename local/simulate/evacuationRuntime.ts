import { classifyError, InvalidInputError } from '../../shared/errors.ts';
import { EVACUATION_FUNCTIONS, EvacuationSteps } from '../../shared/evacuation/EvacuationSteps.ts';
import type { LocalFunction } from '../runner/WorkflowRunner.ts';
import { worldEstate } from '../world/WorldEstate.ts';
import { localWorkflowControl } from './localSlack.ts';
import type { SimulationContext } from './Simulation.ts';

/**
 * The region evacuation's function on the local runtime. An evacuation runs away from the failing
 * region: its steps run in the first control-plane region that is up, against that region's replica.
 */
export function evacuationFunctions(context: SimulationContext): Record<string, LocalFunction> {
  const { scenario, world, clock, ledgerIn } = context;
  const steps = (): EvacuationSteps => {
    const region =
      scenario.config.controlPlaneRegions.find((r) => !world.faults.isOutage(r)) ??
      scenario.config.controlPlaneRegions[0] ??
      'us-east-1';
    return new EvacuationSteps({
      config: scenario.config,
      estate: worldEstate(world, { channel: scenario.config.slack.channelId }),
      ledger: ledgerIn(region),
      clock,
      workflows: localWorkflowControl(context),
    });
  };
  const out: Record<string, LocalFunction> = {};
  for (const [name, operations] of Object.entries(EVACUATION_FUNCTIONS)) {
    out[name] = async (payload) => {
      const operation = (payload as { operation?: unknown } | null)?.operation;
      try {
        const target = steps();
        if (typeof operation !== 'string' || !(operations as readonly string[]).includes(operation))
          throw new InvalidInputError([
            `operation: ${String(operation)} is not one of ${operations.join(', ')} (${name})`,
          ]);
        const method: unknown = (target as unknown as Record<string, unknown>)[operation];
        return await Reflect.apply(method as (p: unknown) => Promise<unknown>, target, [payload]);
      } catch (error) {
        throw classifyError(error);
      }
    };
  }
  return out;
}
