import { VirtualClock } from '../../local/clock/VirtualClock.ts';
import { latencyModel, type LatencyModel } from '../../local/world/LatencyModel.ts';
import { World } from '../../local/world/World.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { EXAMPLE_CONFIG_PATH } from './exampleConfig.ts';

/** A started world over the example config (or the given one) on a fresh clock. */
export function testWorld(options: { config?: LifeboatConfig; latency?: Partial<LatencyModel> } = {}): {
  world: World;
  clock: VirtualClock;
} {
  const clock = new VirtualClock();
  const world = new World({
    config: options.config ?? loadConfig(EXAMPLE_CONFIG_PATH),
    latency: latencyModel(options.latency),
    clock,
  });
  world.start();
  return { world, clock };
}
