import type { SimulationOptions } from './Simulation.ts';

/**
 * The local stand-ins of Lifeboat's functions and the settings the invariant checker needs, for
 * the workflows in `statemachines/`. Each workflow adds its step operations here as it lands.
 */
export function localRuntime(): Pick<
  SimulationOptions,
  'functions' | 'substitutions' | 'actingStates' | 'lockingWorkflows'
> {
  return {
    functions: () => ({}),
    substitutions: () => ({}),
    actingStates: {},
    lockingWorkflows: ['failover', 'failback'],
  };
}
