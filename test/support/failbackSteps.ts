import { loadConfig } from '../../shared/config/loadConfig.ts';
import { FailbackSteps } from '../../shared/failback/FailbackSteps.ts';
import type { Estate } from '../../shared/ports/Estate.ts';
import type { Ledger } from '../../shared/ports/Ledger.ts';
import { EXAMPLE_CONFIG_PATH } from './exampleConfig.ts';

/** The example config, loaded once for the step tests. */
export const EXAMPLE_CONFIG = loadConfig(EXAMPLE_CONFIG_PATH);

/** The failback's (and switchover's) steps over a hand-made estate, at a fixed instant, with no ledger. */
export function failbackStepsOver(estate: Partial<Estate>): FailbackSteps {
  return new FailbackSteps({
    config: EXAMPLE_CONFIG,
    estate: estate as Estate,
    ledger: {} as Ledger,
    ledgerIn: () => ({}) as Ledger,
    clock: { now: () => new Date('2030-01-01T00:00:00Z'), sleep: () => Promise.resolve() },
  });
}
