import { DETECTION_REGION } from '../../shared/config/naming.ts';
import type { SimulatedService } from './services.ts';
import { THROTTLING_ERROR } from './services.ts';

/** An error shaped like the AWS SDK v3's service exceptions: a `name`, `$fault` and `$metadata`. */
export class SimulatedServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { readonly httpStatusCode: number; readonly attempts: number };
  readonly $retryable: { throttling: boolean } | undefined;

  constructor(name: string, message: string, httpStatusCode: number, throttling = false) {
    super(message);
    this.name = name;
    this.$fault = httpStatusCode >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode, attempts: 1 };
    this.$retryable = throttling || httpStatusCode >= 500 ? { throttling } : undefined;
  }
}

/** HTTP status the SDK reports for the error names scenarios commonly inject. */
const STATUS_BY_ERROR: Readonly<Record<string, number>> = {
  AccessDeniedException: 403,
  AccessDenied: 403,
  InvalidParameterValue: 400,
  InvalidParameterException: 400,
  InvalidDBInstanceState: 400,
  InvalidDBInstanceStateFault: 400,
  DBInstanceNotFound: 404,
  DBInstanceNotFoundFault: 404,
  ResourceNotFoundException: 404,
  NoSuchHealthCheck: 404,
  NoSuchChange: 404,
  InvalidChangeBatch: 400,
  PriorRequestNotComplete: 400,
  InternalFailure: 500,
  InternalServerError: 500,
  InternalError: 500,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
  TimeoutError: 504,
};

export interface ApiFault {
  readonly service: SimulatedService;
  readonly operation?: string;
  readonly region?: string;
  readonly error: string;
  /** Failures left; `undefined` is permanent until recovered. */
  remaining: number | undefined;
}

/**
 * The API faults in force: injected errors and throttling by service, operation and region, and
 * regional outages, which take down every AWS API in the region (and, for us-east-1, Route 53's
 * control plane, which lives there).
 */
export class FaultRegistry {
  private readonly apiFaults: ApiFault[] = [];
  private readonly outages = new Set<string>();
  private slackDown = false;

  addApiFault(fault: Omit<ApiFault, 'remaining'> & { count?: number }): void {
    this.apiFaults.push({ ...fault, remaining: fault.count });
  }

  /** Ends the api faults that match the identifying fields. */
  removeApiFaults(match: { service: SimulatedService; operation?: string; region?: string }): void {
    for (let i = this.apiFaults.length - 1; i >= 0; i--) {
      const f = this.apiFaults[i];
      if (
        f !== undefined &&
        f.service === match.service &&
        f.operation === match.operation &&
        f.region === match.region
      ) {
        this.apiFaults.splice(i, 1);
      }
    }
  }

  throttle(service: SimulatedService, count: number, operation?: string, region?: string): void {
    this.addApiFault({ service, operation, region, error: THROTTLING_ERROR[service], count });
  }

  setOutage(region: string, down: boolean): void {
    if (down) this.outages.add(region);
    else this.outages.delete(region);
  }

  isOutage(region: string): boolean {
    return this.outages.has(region);
  }

  setSlackDown(down: boolean): void {
    this.slackDown = down;
  }

  isSlackDown(): boolean {
    return this.slackDown;
  }

  /**
   * Throws the error a call would get now, or returns when it would go through. Route 53 is a
   * global service whose control plane is in us-east-1; every other service is regional.
   */
  check(service: SimulatedService, operation: string, region: string): void {
    const home = service === 'route53' ? DETECTION_REGION : region;
    if (service !== 'slack' && this.outages.has(home)) {
      throw new SimulatedServiceError(
        'ServiceUnavailableException',
        `${service} ${operation} in ${home}: the region is unavailable`,
        503,
      );
    }
    if (service === 'slack' && this.slackDown) {
      throw new SimulatedServiceError(
        'slack_webapi_platform_error',
        `Slack ${operation}: service_unavailable`,
        503,
      );
    }
    const fault = this.apiFaults.find(
      (f) =>
        f.service === service &&
        (f.operation === undefined || f.operation === operation) &&
        (f.region === undefined || f.region === home) &&
        (f.remaining === undefined || f.remaining > 0),
    );
    if (fault === undefined) return;
    if (fault.remaining !== undefined) fault.remaining--;
    const throttling = fault.error === THROTTLING_ERROR[service];
    throw new SimulatedServiceError(
      fault.error,
      `${service} ${operation} in ${home}: ${fault.error} (injected by the scenario)`,
      throttling ? 429 : (STATUS_BY_ERROR[fault.error] ?? 400),
      throttling,
    );
  }
}
