import type { ApplicationConfig, ScaledWorkloadConfig } from '../config/LifeboatConfig.ts';
import { AUTOSCALERS, workloadLabel, workloadResource } from '../config/workloadKinds.ts';
import { PreconditionFailedError } from '../errors.ts';
import type { AutoscalerStatus, WorkloadsPort } from '../ports/Estate.ts';

/** What was done to one workload, for the step's result and the record. */
export interface WorkloadScaling {
  /** The replicas the region now runs at least (its active or standby size). */
  readonly replicas: number;
  /** For an autoscaled workload: the autoscaler's new bounds, as `minReplicas 1 → 6, maxReplicas 10`. */
  readonly autoscaler?: string;
}

/**
 * Brings one workload of `region` to its active size (`activeReplicas`), or back to its standby size.
 *
 * A workload with no autoscaler is scaled through its `/scale` subresource. An autoscaled one cannot
 * be scaled that way alone: the autoscaler would undo a replica count on its next sync (every 15 s
 * for an HPA, https://kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/;
 * KEDA drives an HPA of its own, https://keda.sh/docs/latest/concepts/scaling-deployments/). What it
 * keeps is its minimum, which moves, and its maximum is widened when it is below the active size
 * (never narrowed). Going active, the workload is first scaled to the active size when it runs fewer,
 * so pods start now rather than at the autoscaler's next sync (and an HPA whose target is at 0
 * replicas, which disables it, starts again); the raised minimum then keeps them. Should the
 * autoscaler sync between the two calls, its next sync after the minimum moved scales up again.
 * Going standby only the minimum moves: the autoscaler scales down as the load leaves.
 *
 * Each call reads before it writes and writes nothing that is already so: running it twice changes
 * nothing the second time.
 */
export async function scaleWorkload(
  workloads: WorkloadsPort,
  app: ApplicationConfig,
  region: string,
  workload: ScaledWorkloadConfig,
  to: 'active' | 'standby',
  /**
   * Another size than the config's for `to`: a drain raises a region to carry a larger share
   * (`active`: up to it), and an undrain lowers it back (`standby`: down to it).
   */
  size?: number,
): Promise<WorkloadScaling> {
  const replicas = size ?? (to === 'active' ? workload.activeReplicas : workload.standbyReplicas);
  const autoscaler = workload.autoscaler;
  if (autoscaler === undefined) {
    await workloads.scaleWorkload(app, region, workload, replicas);
    return { replicas };
  }
  const owned = { ...workload, autoscaler };
  const kind = AUTOSCALERS[autoscaler.kind];
  const current = await workloads.describeAutoscaler(app, region, owned);
  if (!scalesWorkload(current, workload)) {
    throw new PreconditionFailedError(
      `${autoscaler.kind} ${workload.namespace}/${autoscaler.name} in ${region} scales ${current.target.kind} ${current.target.name || '(none)'}, not ${workload.kind} ${workload.name}: fix the config's autoscaler name or the autoscaler's scaleTargetRef`,
    );
  }
  if (to === 'active') {
    const status = await workloads.describeWorkload(app, region, workload);
    if (status.replicas < replicas) await workloads.scaleWorkload(app, region, workload, replicas);
  }
  const bounds = { min: replicas, max: Math.max(current.max, replicas, 1) };
  await workloads.setAutoscalerBounds(app, region, owned, bounds);
  const change =
    current.min === bounds.min && current.max === bounds.max
      ? `${kind.minField} ${bounds.min} (unchanged)`
      : `${kind.minField} ${current.min} → ${bounds.min}` +
        (current.max === bounds.max ? '' : `, ${kind.maxField} ${current.max} → ${bounds.max}`);
  return {
    replicas,
    autoscaler: `${autoscaler.kind} ${autoscaler.name}: ${change}${current.paused ? ' (paused: it does not scale until resumed)' : ''}`,
  };
}

/** Every workload of the region to its active or standby size, in config order, keyed by label. */
export async function scaleWorkloads(
  workloads: WorkloadsPort,
  app: ApplicationConfig,
  region: string,
  to: 'active' | 'standby',
  /** Each workload's size, when not the config's for `to` (see `scaleWorkload`). */
  sizeOf?: (workload: ScaledWorkloadConfig) => number,
): Promise<{ deployments: Record<string, number>; autoscalers: Record<string, string> }> {
  const deployments: Record<string, number> = {};
  const autoscalers: Record<string, string> = {};
  for (const workload of app.workloads[region]?.deployments ?? []) {
    const done = await scaleWorkload(workloads, app, region, workload, to, sizeOf?.(workload));
    deployments[workloadLabel(workload)] = done.replicas;
    if (done.autoscaler !== undefined) autoscalers[workloadLabel(workload)] = done.autoscaler;
  }
  return { deployments, autoscalers };
}

/** What bringing a workload to its active or standby size does, in a plan's words. */
export function scalingPlan(workload: ScaledWorkloadConfig, to: 'active' | 'standby'): string {
  const replicas = to === 'active' ? workload.activeReplicas : workload.standbyReplicas;
  const label = workloadLabel(workload);
  const autoscaler = workload.autoscaler;
  if (autoscaler === undefined) return `scale ${label} to ${replicas}`;
  const minimum = `${autoscaler.kind} ${autoscaler.name}'s ${AUTOSCALERS[autoscaler.kind].minField}`;
  return to === 'active'
    ? `scale ${label} to ${replicas} and raise ${minimum} to ${replicas} to keep it there`
    : `lower ${minimum} to ${replicas} (it scales ${label} down as the load leaves)`;
}

/** The Kubernetes API calls bringing a workload to a size makes at most (reads and writes). */
export function scalingCalls(workload: ScaledWorkloadConfig, to: 'active' | 'standby'): number {
  // The scale read and its update; with an autoscaler, its read and patch (each read again by the
  // adapter before it writes), and going active the workload's status too.
  if (workload.autoscaler === undefined) return 2;
  return to === 'active' ? 6 : 3;
}

/** Whether the autoscaler's `scaleTargetRef` is this workload (kind, name, and API group). */
export function scalesWorkload(autoscaler: AutoscalerStatus, workload: ScaledWorkloadConfig): boolean {
  const group = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
  return (
    autoscaler.target.name === workload.name &&
    autoscaler.target.kind === workload.kind &&
    group(autoscaler.target.apiVersion) === group(workloadResource(workload).apiVersion)
  );
}
