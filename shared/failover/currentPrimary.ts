import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger } from '../ports/Ledger.ts';

/**
 * The region that serves the application now: the heaviest record when Route 53's API answers;
 * when it does not (us-east-1 down), the target of the last successful failover, failback or switchover in the
 * ledger; else the configured primary.
 */
export async function currentPrimary(
  app: ApplicationConfig,
  estate: Estate,
  ledger: Ledger,
): Promise<string> {
  return (await servingAndWeights(app, estate, ledger)).serving;
}

/** `currentPrimary`, with the weights it read when Route 53's API answered. */
export async function servingAndWeights(
  app: ApplicationConfig,
  estate: Estate,
  ledger: Ledger,
): Promise<{ serving: string; weights?: Record<string, number> }> {
  let weights: Record<string, number> | undefined;
  try {
    weights = await estate.dns.getWeights(app);
    const heaviest = Object.entries(weights).sort((a, b) => b[1] - a[1])[0];
    if (heaviest !== undefined && heaviest[1] > 0) return { serving: heaviest[0], weights };
  } catch {
    // Fall through to the ledger: the control plane of Route 53 may be the thing that is down.
  }
  return { serving: await servingFromLedger(app, ledger), ...(weights === undefined ? {} : { weights }) };
}

async function servingFromLedger(app: ApplicationConfig, ledger: Ledger): Promise<string> {
  const runs = [
    ...(await ledger.listRuns(app.name, 'failover', 10)),
    ...(await ledger.listRuns(app.name, 'failback', 10)),
    ...(await ledger.listRuns(app.name, 'switchover', 10)),
  ]
    .map((r) => ({
      run: r,
      request: (r.details as { request?: { targetRegion?: string; dryRun?: boolean } } | undefined)?.request,
    }))
    // A dry run moved nothing: it says nothing about who serves.
    .filter(
      ({ run, request }) =>
        run.status === 'SUCCEEDED' && run.endedAt !== undefined && request?.dryRun !== true,
    )
    .sort((a, b) => (b.run.endedAt ?? '').localeCompare(a.run.endedAt ?? ''));
  return runs[0]?.request?.targetRegion ?? app.regions[0] ?? '';
}
