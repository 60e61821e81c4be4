import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { EndpointProbePort, HealthStatus } from '../ports/Estate.ts';

/**
 * Probes a region's endpoint as its Route 53 health check does: a GET of the configured path over
 * HTTP(S), healthy on a 2xx or 3xx within the timeout (Route 53 allows 4 s to connect and 2 s for the
 * first bytes; this uses the sum).
 */
export class HttpProbe implements EndpointProbePort {
  private readonly fetch: typeof globalThis.fetch;
  private readonly timeoutMs: number;

  constructor(options: { fetch?: typeof globalThis.fetch; timeoutMs?: number } = {}) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 6000;
  }

  /** The URL the region's health check probes, or undefined for a check Lifeboat did not define. */
  static urlOf(app: ApplicationConfig, region: string): string | undefined {
    const check = app.healthChecks[region];
    if (check?.kind !== 'endpoint') return undefined;
    const scheme = check.https ? 'https' : 'http';
    const defaultPort = check.https ? 443 : 80;
    return `${scheme}://${check.endpoint}${check.port === defaultPort ? '' : `:${check.port}`}${check.path}`;
  }

  async probe(app: ApplicationConfig, region: string): Promise<HealthStatus> {
    const url = HttpProbe.urlOf(app, region);
    if (url === undefined) {
      throw new Error(
        `${app.name} in ${region} uses an existing health check; Lifeboat has no endpoint to probe`,
      );
    }
    try {
      const response = await this.fetch(url, {
        method: 'GET',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body?.cancel();
      return response.status >= 200 && response.status < 400 ? 'healthy' : 'unhealthy';
    } catch {
      // Refused, reset, timed out or a TLS failure: the endpoint does not serve.
      return 'unhealthy';
    }
  }
}
