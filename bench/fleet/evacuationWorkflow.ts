import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadDefinition } from '../../local/runner/loadDefinition.ts';
import { localSubstitutions } from '../../local/runner/localBindings.ts';
import type { SimulationContext } from '../../local/simulate/Simulation.ts';

/**
 * The region evacuation's definition. It is not deployed yet (see BENCHMARKS.md, "Left to do"), so
 * it lives beside the benchmark's other state machines and is registered on the runner next to the
 * project's workflows.
 */
export const EVACUATION_ASL = fileURLToPath(
  new URL('../statemachines/region-evacuation.asl.json', import.meta.url),
);

/** Registers region-evacuation and starts it at `at` (virtual seconds) with `input`. */
export function startEvacuation(
  context: SimulationContext,
  at: number,
  input: Record<string, unknown>,
): void {
  const region = context.scenario.config.controlPlaneRegions[0] ?? 'us-east-1';
  const runner = context.runner();
  runner.register(
    loadDefinition(
      'region-evacuation',
      EVACUATION_ASL,
      localSubstitutions(readFileSync(EVACUATION_ASL, 'utf8'), region),
    ),
  );
  context.clock.schedule(at, () => {
    runner.start('region-evacuation', input, `evacuation-of-${String(input.failingRegion)}`);
  });
}
