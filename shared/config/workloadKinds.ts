import type { AutoscalerConfig, ScaledWorkloadConfig } from './LifeboatConfig.ts';

/** Where a kind lives in the Kubernetes API: `group/version` (or `v1`) and the plural in its paths. */
export interface ApiResource {
  readonly apiVersion: string;
  readonly resource: string;
}

/** The built-in kinds with a `/scale` subresource that a config may name by kind alone. */
export const BUILT_IN_WORKLOADS: Readonly<Record<string, ApiResource>> = {
  Deployment: { apiVersion: 'apps/v1', resource: 'deployments' },
  StatefulSet: { apiVersion: 'apps/v1', resource: 'statefulsets' },
};

/**
 * The two autoscalers Lifeboat moves, with their fields and defaults:
 * - HorizontalPodAutoscaler `autoscaling/v2`: `spec.minReplicas` defaults to 1 and may not be 0
 *   unless the alpha HPAScaleToZero feature gate is on; `spec.maxReplicas` is required
 *   (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/).
 * - KEDA ScaledObject `keda.sh/v1alpha1`: `spec.minReplicaCount` defaults to 0, `spec.maxReplicaCount`
 *   to 100; the `autoscaling.keda.sh/paused` and `autoscaling.keda.sh/paused-replicas` annotations stop
 *   KEDA from scaling (https://keda.sh/docs/latest/reference/scaledobject-spec/).
 */
export const AUTOSCALERS: Readonly<
  Record<
    AutoscalerConfig['kind'],
    ApiResource & {
      readonly minField: 'minReplicas' | 'minReplicaCount';
      readonly maxField: 'maxReplicas' | 'maxReplicaCount';
      readonly defaultMin: number;
      readonly defaultMax: number | undefined;
      /** The least minimum the API accepts. */
      readonly leastMin: number;
    }
  >
> = {
  HorizontalPodAutoscaler: {
    apiVersion: 'autoscaling/v2',
    resource: 'horizontalpodautoscalers',
    minField: 'minReplicas',
    maxField: 'maxReplicas',
    defaultMin: 1,
    defaultMax: undefined,
    leastMin: 1,
  },
  ScaledObject: {
    apiVersion: 'keda.sh/v1alpha1',
    resource: 'scaledobjects',
    minField: 'minReplicaCount',
    maxField: 'maxReplicaCount',
    defaultMin: 0,
    defaultMax: 100,
    leastMin: 0,
  },
};

/** The workload's place in the API: the built-in kind's, or the config's `apiVersion` and `resource`. */
export function workloadResource(workload: ScaledWorkloadConfig): ApiResource {
  const builtIn = BUILT_IN_WORKLOADS[workload.kind];
  if (builtIn !== undefined) return builtIn;
  if (workload.apiVersion === undefined || workload.resource === undefined) {
    // The config check refuses this; a hand-built config reaching here is a programming error.
    throw new Error(
      `${workload.kind} ${workload.namespace}/${workload.name} needs apiVersion and resource in the config`,
    );
  }
  return { apiVersion: workload.apiVersion, resource: workload.resource };
}

/** A namespaced object's API path: `/apis/<group>/<version>/...` (or `/api/v1/...` for the core group). */
export function objectPath(api: ApiResource, namespace: string, name: string): string {
  const root = api.apiVersion.includes('/') ? `/apis/${api.apiVersion}` : `/api/${api.apiVersion}`;
  return `${root}/namespaces/${encodeURIComponent(namespace)}/${api.resource}/${encodeURIComponent(name)}`;
}

/** How a workload is named in results, records and messages: `namespace/name`. */
export function workloadLabel(workload: { readonly namespace: string; readonly name: string }): string {
  return `${workload.namespace}/${workload.name}`;
}
