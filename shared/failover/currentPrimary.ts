import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger } from '../ports/Ledger.ts';

/**
 * The region that serves the application now: the heaviest record when Route 53's API answers;
 * when it does not (us-east-1 down), the target of the last successful failover or failback in the
 * ledger; else the configured primary.
 */
export async function currentPrimary(
  app: ApplicationConfig,
  estate: Estate,
  ledger: Ledger,
): Promise<string> {
  try {
    const weights = await estate.dns.getWeights(app);
    const heaviest = Object.entries(weights).sort((a, b) => b[1] - a[1])[0];
    if (heaviest !== undefined && heaviest[1] > 0) return heaviest[0];
  } catch {
    // Fall through to the ledger: the control plane of Route 53 may be the thing that is down.
  }
  const runs = [
    ...(await ledger.listRuns(app.name, 'failover', 10)),
    ...(await ledger.listRuns(app.name, 'failback', 10)),
  ]
    .filter((r) => r.status === 'SUCCEEDED' && r.endedAt !== undefined)
    .sort((a, b) => (b.endedAt ?? '').localeCompare(a.endedAt ?? ''));
  const target = (runs[0]?.details as { request?: { targetRegion?: string; dryRun?: boolean } } | undefined)
    ?.request;
  if (target?.targetRegion !== undefined && target.dryRun !== true) return target.targetRegion;
  return app.regions[0] ?? '';
}
