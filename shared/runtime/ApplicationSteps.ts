import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import { InvalidInputError } from '../errors.ts';
import { findApplication } from '../failover/FailoverRequest.ts';
import type { FailoverDeps } from '../failover/FailoverSteps.ts';

/** What the failback's and the drain's steps share: their dependencies, the application a request names, the time. */
export abstract class ApplicationSteps {
  protected readonly deps: FailoverDeps;

  constructor(deps: FailoverDeps) {
    this.deps = deps;
  }

  protected app(request: { application: string }): ApplicationConfig {
    const found = findApplication(this.deps.config, request.application);
    if (found === undefined)
      throw new InvalidInputError([`application: no application named "${request.application}"`]);
    return found;
  }

  protected now(): string {
    return this.deps.clock.now().toISOString();
  }
}

/**
 * What a guard reading breaks of `bounds` (`dns.failback`'s): no datapoint is a breach, since a
 * guard that cannot see must not wave traffic on.
 */
export function guardProblems(
  errorRate: number | undefined,
  latency: number | undefined,
  bounds: { readonly maxErrorRatePercent: number; readonly maxLatencyMs: number },
): string[] {
  return [
    ...(errorRate === undefined
      ? ['no error-rate datapoint']
      : errorRate > bounds.maxErrorRatePercent
        ? [`error rate ${errorRate.toFixed(2)} % > ${bounds.maxErrorRatePercent} %`]
        : []),
    ...(latency === undefined
      ? ['no latency datapoint']
      : latency > bounds.maxLatencyMs
        ? [`p99 ${Math.round(latency)} ms > ${bounds.maxLatencyMs} ms`]
        : []),
  ];
}
