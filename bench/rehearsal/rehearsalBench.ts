import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/projectRoot.ts';
import { loadScenario } from '../../local/scenario/Scenario.ts';
import { localRuntime } from '../../local/simulate/localRuntime.ts';
import { simulate } from '../../local/simulate/Simulation.ts';
import { twinRuntime } from '../../local/simulate/twinRuntime.ts';

/** The default scenario (what `npm start` runs) must finish within this on the AWS twin. */
export const DEFAULT_SCENARIO_LIMIT_SECONDS = 15;

export interface RehearsalTiming {
  readonly scenario: string;
  /** Wall seconds on the AWS twin (the first includes synthesizing the stacks). */
  readonly twinSeconds: number;
  readonly portsSeconds: number;
  readonly awsCalls: number;
  readonly violations: number;
}

/**
 * Wall time of every example scenario in both rehearsal modes, in this process: the AWS twin (the
 * default) and the port-level runtime. The synth is cached per config, so only the first twin run
 * pays for it; `synthSeconds` is that first run's extra.
 */
export async function measureRehearsals(): Promise<{ timings: RehearsalTiming[]; defaultSeconds: number }> {
  const dir = join(PROJECT_ROOT, 'examples', 'scenarios');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) =>
      a === 'primary-outage.json' ? -1 : b === 'primary-outage.json' ? 1 : a.localeCompare(b),
    );
  const timings: RehearsalTiming[] = [];
  for (const file of files) {
    const scenario = () => loadScenario(join(dir, file), PROJECT_ROOT);
    let started = performance.now();
    const twin = await simulate({ scenario: scenario(), ...twinRuntime() });
    const twinSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    await simulate({ scenario: scenario(), ...localRuntime() });
    const portsSeconds = (performance.now() - started) / 1000;
    timings.push({
      scenario: twin.scenario,
      twinSeconds,
      portsSeconds,
      awsCalls: twin.awsCalls?.length ?? 0,
      violations: twin.violations.length,
    });
  }
  return { timings, defaultSeconds: timings[0]?.twinSeconds ?? Number.NaN };
}
