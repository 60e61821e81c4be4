import { BACKUP_FUNCTIONS, BackupSteps } from '../../shared/backup/BackupSteps.ts';
import { RESTORE_TEST_FUNCTIONS, RestoreTestSteps } from '../../shared/backup/RestoreTestSteps.ts';
import { DRILL_FUNCTIONS, DrillSteps } from '../../shared/drill/DrillSteps.ts';
import { classifyError } from '../../shared/errors.ts';
import { runStep } from '../../shared/runtime/runStep.ts';
import type { LocalFunction } from '../runner/WorkflowRunner.ts';
import { worldEstate } from '../world/WorldEstate.ts';
import { localWorkflowControl } from './localSlack.ts';
import type { SimulationContext } from './Simulation.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { drillRegionOf } from '../../shared/backup/schedule.ts';

/** The region a backup or restore-test step runs in: its application's copy region (its schedule's). */
export function backupRegionOf(config: LifeboatConfig, payload: unknown): string {
  const home = config.controlPlaneRegions[0] ?? 'us-east-1';
  const p = payload as {
    input?: { application?: unknown };
    state?: { request?: { application?: unknown } };
    request?: { application?: unknown };
  } | null;
  const named = p?.request?.application ?? p?.state?.request?.application ?? p?.input?.application;
  const app = config.applications.find((a) => a.name === named);
  return app?.backup?.copyToRegion ?? home;
}

/**
 * The region a drill step runs in: the control plane whose stack deploys the application's drill
 * (its first standby, `drillRegionOf`), where its schedule starts a readiness drill; a game day where
 * its failover runs (the target it names, else the standby), since the primary is down meanwhile.
 */
export function drillRegionOfPayload(config: LifeboatConfig, payload: unknown): string {
  const home = config.controlPlaneRegions[0] ?? 'us-east-1';
  const p = payload as {
    input?: { application?: unknown; mode?: unknown; targetRegion?: unknown };
    state?: { request?: { application?: unknown; mode?: unknown; targetRegion?: unknown } };
    request?: { application?: unknown; mode?: unknown; targetRegion?: unknown };
  } | null;
  const request = p?.request ?? p?.state?.request ?? p?.input;
  if (request?.mode === 'game-day' && typeof request.targetRegion === 'string') return request.targetRegion;
  const app = config.applications.find((a) => a.name === request?.application);
  return (app === undefined ? undefined : drillRegionOf(app)) ?? home;
}

/**
 * The backup's, restore test's and drill's functions on the local runtime: each bound to the same
 * step operations its handler runs in AWS, in the region its schedule runs it (a backup and a
 * restore test in the application's copy region, a readiness drill in its first standby, a game day
 * in the standby it fails over to), with its errors classified the same way.
 */
export function scheduledFunctions(context: SimulationContext): Record<string, LocalFunction> {
  const { scenario, world, clock, ledgerIn } = context;
  const estate = worldEstate(world, { channel: scenario.config.slack.channelId });
  const regionOf = (payload: unknown): string => backupRegionOf(scenario.config, payload);
  const deps = (region: string) => ({ config: scenario.config, estate, ledger: ledgerIn(region), clock });
  const drillRegionOf = (payload: unknown): string => drillRegionOfPayload(scenario.config, payload);
  const bind =
    (
      name: string,
      allowed: readonly string[],
      steps: (region: string) => object,
      region: (payload: unknown) => string,
    ): LocalFunction =>
    async (payload) => {
      try {
        return await runStep(name, allowed, payload, steps(region(payload)));
      } catch (error) {
        throw classifyError(error);
      }
    };
  return {
    'lifeboat-backup': bind(
      'lifeboat-backup',
      BACKUP_FUNCTIONS['lifeboat-backup'],
      (r) => new BackupSteps(deps(r)),
      regionOf,
    ),
    'lifeboat-restore-test': bind(
      'lifeboat-restore-test',
      RESTORE_TEST_FUNCTIONS['lifeboat-restore-test'],
      (r) => new RestoreTestSteps(deps(r)),
      regionOf,
    ),
    'lifeboat-drill': bind(
      'lifeboat-drill',
      DRILL_FUNCTIONS['lifeboat-drill'],
      (r) => new DrillSteps({ ...deps(r), workflows: localWorkflowControl(context) }),
      drillRegionOf,
    ),
  };
}
