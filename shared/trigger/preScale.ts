import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { regionHealth } from '../failover/regionHealth.ts';
import type { Estate } from '../ports/Estate.ts';

/**
 * The applications whose standby in `region` that region's trigger scales on the first signal:
 * automatic failover and `automation.preScaleOnFirstSignal` on, and EKS workloads in the region.
 * The stacks grant the trigger EKS and Kubernetes access for these alone.
 */
export function preScaledBy(
  config: Pick<LifeboatConfig, 'controlPlaneRegions' | 'applications'>,
  region: string,
): LifeboatConfig['applications'] {
  if (!config.controlPlaneRegions.includes(region)) return [];
  return config.applications.filter(
    (a) =>
      a.automation.automaticFailover &&
      a.automation.preScaleOnFirstSignal &&
      a.regions.includes(region) &&
      a.workloads[region] !== undefined,
  );
}

/** The standby a failover from `serving` would move to: the first healthy region with a control plane. */
export async function standbyTarget(
  config: Pick<LifeboatConfig, 'controlPlaneRegions'>,
  app: ApplicationConfig,
  serving: string,
  estate: Estate,
): Promise<string | undefined> {
  for (const region of app.regions) {
    if (region === serving || !config.controlPlaneRegions.includes(region)) continue;
    if ((await regionHealth(config, app, region, estate)).status === 'healthy') return region;
  }
  return undefined;
}

/**
 * `automation.preScaleOnFirstSignal`: on the first detection signal against the serving region,
 * scales the standby's node groups and deployments to their active sizes (what the failover's
 * ScaleNodeGroups and ScaleDeployments do, and do again without change), so that workload readiness
 * runs alongside the confirmation window instead of after it. Only the standby's own control plane
 * acts. Nothing scales the standby back if no failover follows: a false alarm leaves it at its
 * active size until the operator scales it down.
 */
export async function preScaleStandby(
  config: Pick<LifeboatConfig, 'controlPlaneRegions'>,
  app: ApplicationConfig,
  serving: string,
  here: string,
  estate: Estate,
): Promise<{ scaled: boolean; target?: string }> {
  const target = await standbyTarget(config, app, serving, estate);
  if (target === undefined || target !== here)
    return { scaled: false, ...(target === undefined ? {} : { target }) };
  const workloads = app.workloads[target];
  for (const group of workloads?.nodeGroups ?? [])
    await estate.workloads.scaleNodeGroup(app, target, group.name, {
      desired: group.activeSize,
      max: group.maxSize ?? group.activeSize,
    });
  for (const d of workloads?.deployments ?? [])
    await estate.workloads.scaleDeployment(app, target, d.namespace, d.name, d.activeReplicas);
  return { scaled: true, target };
}
