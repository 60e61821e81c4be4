import type { World } from '../world/World.ts';
import type { ReportSeriesPoint } from './Report.ts';

/** How often, in virtual seconds, the series is sampled besides at every change of the world. */
const SAMPLE_SECONDS = 5;

/**
 * Records, per application, the DNS weights of each region, each replica's lag and the error rate
 * clients see, each time one of them changes: the report's `series`, which the HTML report charts.
 */
export function watchSeries(world: World): void {
  const points: ReportSeriesPoint[] = [];
  recorded.set(world, points);
  const last = new Map<string, string>();
  const sample = (): void => {
    for (const application of world.applicationNames()) {
      const regions = world.application(application).regions;
      const lag: Record<string, number> = {};
      for (const region of regions) {
        const seconds = world.replicaLagSeconds(application, region);
        if (seconds !== undefined) lag[region] = Math.round(seconds);
      }
      const point = {
        application,
        weights: world.weights(application),
        replicaLagSeconds: lag,
        errorRatePercent: Math.round(world.errorRatePercent(application) * 100) / 100,
      };
      const key = JSON.stringify(point);
      if (last.get(application) === key) continue;
      last.set(application, key);
      points.push({ at: world.clock.seconds, ...point });
    }
  };
  sample();
  world.onChange(sample);
  world.clock.every(SAMPLE_SECONDS, SAMPLE_SECONDS, sample);
}

const recorded = new WeakMap<World, ReportSeriesPoint[]>();

/** The series recorded for the world so far (empty when nothing watched it). */
export function seriesOf(world: World): readonly ReportSeriesPoint[] {
  return recorded.get(world) ?? [];
}
