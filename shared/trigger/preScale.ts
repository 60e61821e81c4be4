import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';
import { scaleWorkloads } from '../failover/workloadScaling.ts';
import { regionHealth } from '../failover/regionHealth.ts';
import { readReplicationAtRisk } from '../failover/replicationAtRisk.ts';
import { storesAtRisk, worstRisk } from '../failover/stores.ts';
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

/** When a standby is chosen, and when the serving region began to fail if the alarms say. */
export interface StandbyChoiceTime {
  readonly now: Date;
  readonly failureBeganAt?: string | undefined;
}

/**
 * EKS's node group issues that mean the group cannot add the nodes a failover scales it to
 * (https://docs.aws.amazon.com/eks/latest/APIReference/API_Issue.html): its Auto Scaling group
 * fails to launch instances, the account's instance limit, no free IP addresses in its subnets,
 * an instance type the region does not have.
 */
export const CAPACITY_ISSUES: ReadonlySet<string> = new Set([
  'AsgInstanceLaunchFailures',
  'InstanceLimitExceeded',
  'InsufficientFreeAddresses',
  'Ec2InstanceTypeDoesNotExist',
]);

/**
 * Why a standby is short of capacity for a failover, or undefined when EKS reports nothing against
 * it: a configured node group with a capacity issue. A node group that cannot be read is not
 * counted against the region (its workloads are checked again once scaled).
 */
export async function capacityShortfall(
  app: ApplicationConfig,
  region: string,
  estate: Estate,
): Promise<string | undefined> {
  const problems: string[] = [];
  for (const group of app.workloads[region]?.nodeGroups ?? []) {
    try {
      const health = await estate.workloads.nodeGroupHealth(app, region, group.name);
      for (const issue of health.issues) {
        if (CAPACITY_ISSUES.has(issue.code)) problems.push(`node group ${group.name}: ${issue.code}`);
      }
    } catch {
      // Unread: not held against the region.
    }
  }
  return problems.length === 0 ? undefined : problems.join(', ');
}

/**
 * The standby an automatic failover from `serving` moves to, and why when it is not the first:
 * among the healthy regions with a control plane, in the application's order, the first whose
 * replica would lose no more than `automation.maxReplicaLagSeconds` of writes (`replicationAtRisk`,
 * the lag gate's own measure) and whose node groups EKS reports no capacity issue against
 * (`capacityShortfall`); the first healthy one when none qualifies (its preflight then asks a person
 * about the lag, and its workloads check reports a shortfall). A lag that cannot be read counts as
 * over the budget.
 */
export async function chooseStandby(
  config: Pick<LifeboatConfig, 'controlPlaneRegions'>,
  app: ApplicationConfig,
  serving: string,
  estate: Estate,
  when: StandbyChoiceTime,
): Promise<{ target: string; why?: string } | undefined> {
  const healthy: string[] = [];
  for (const region of app.regions) {
    if (region === serving || !config.controlPlaneRegions.includes(region)) continue;
    if ((await regionHealth(config, app, region, estate)).status === 'healthy') healthy.push(region);
  }
  const [first] = healthy;
  if (first === undefined) return undefined;
  if (healthy.length === 1) return { target: first };
  const budget = app.automation.maxReplicaLagSeconds;
  // The worst of what the database and the stores (`stores`) would lose there.
  const lags = await Promise.all(
    healthy.map((region) =>
      Promise.all([
        readReplicationAtRisk(estate.metrics, app, region, { ...when, sourceRegion: serving }),
        app.stores.length === 0
          ? Promise.resolve([])
          : storesAtRisk(estate.stores, app, region, { ...when, sourceRegion: serving }),
      ])
        .then(([database, stores]) => worstRisk(database, stores).seconds)
        .catch(() => undefined),
    ),
  );
  const withinLag = (i: number): boolean => {
    const lag = lags[i];
    return lag !== undefined && lag <= budget;
  };
  // Capacity is read only for the standbys within the budget, in order, until one has it: in the
  // usual case, the first standby's node groups alone.
  const shortfalls: (string | undefined)[] = [];
  let chosen = -1;
  for (const [i, region] of healthy.entries()) {
    if (!withinLag(i)) continue;
    shortfalls[i] = await capacityShortfall(app, region, estate);
    if (shortfalls[i] === undefined) {
      chosen = i;
      break;
    }
  }
  if (chosen <= 0) return { target: first };
  const target = healthy[chosen] ?? first;
  const lagOf = (i: number): string =>
    lags[i] === undefined ? 'no lag datapoint' : `${String(Math.round(lags[i]))} s of writes at risk`;
  const passedOver = (i: number): string => {
    const region = healthy[i] ?? '?';
    const reasons = [
      ...(withinLag(i) ? [] : [`${lagOf(i)} against the ${budget} s budget`]),
      ...(shortfalls[i] === undefined ? [] : [`short of capacity (${shortfalls[i]})`]),
    ];
    return `${region} ${reasons.join(' and ')}`;
  };
  return {
    target,
    why: `${target} chosen over ${healthy.slice(0, chosen).join(', ')}: ${healthy
      .slice(0, chosen)
      .map((_, i) => passedOver(i))
      .join('; ')}; ${target} ${lagOf(chosen)}, no capacity issue`,
  };
}

/** The standby a failover from `serving` would move to (`chooseStandby`'s target). */
export async function standbyTarget(
  config: Pick<LifeboatConfig, 'controlPlaneRegions'>,
  app: ApplicationConfig,
  serving: string,
  estate: Estate,
  when: StandbyChoiceTime,
): Promise<string | undefined> {
  return (await chooseStandby(config, app, serving, estate, when))?.target;
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
  when: StandbyChoiceTime,
): Promise<{ scaled: boolean; target?: string }> {
  const target = await standbyTarget(config, app, serving, estate, when);
  if (target === undefined || target !== here)
    return { scaled: false, ...(target === undefined ? {} : { target }) };
  const workloads = app.workloads[target];
  for (const group of workloads?.nodeGroups ?? [])
    await estate.workloads.scaleNodeGroup(app, target, group.name, {
      desired: group.activeSize,
      max: group.maxSize ?? group.activeSize,
    });
  await scaleWorkloads(estate.workloads, app, target, 'active');
  return { scaled: true, target };
}
