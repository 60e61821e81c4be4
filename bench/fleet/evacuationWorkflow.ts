import type { SimulationContext } from '../../local/simulate/Simulation.ts';

/**
 * Starts the region evacuation (`statemachines/region-evacuation.asl.json`, registered with the
 * project's other workflows) at `at` (virtual seconds) with `input`.
 */
export function startEvacuation(
  context: SimulationContext,
  at: number,
  input: Record<string, unknown>,
): void {
  context.clock.schedule(at, () => {
    context.runner().start('region-evacuation', input, `evacuation-of-${String(input.failingRegion)}`);
  });
}
