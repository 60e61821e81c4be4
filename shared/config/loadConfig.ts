import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { describeIssue, formatPath } from './issues.ts';
import { AUTOSCALERS, BUILT_IN_WORKLOADS } from './workloadKinds.ts';
import { checkCustomSteps, readJobManifests } from './customStepsCheck.ts';
import {
  LifeboatConfigSchema,
  type ApplicationConfig,
  type BackupConfig,
  type LifeboatConfig,
} from './LifeboatConfig.ts';

// Re-exported for the config's other readers; code bundled into a Lambda imports issues.ts itself.
export { describeIssue, formatPath };

type PathSegment = PropertyKey;

interface Problem {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

function sameRegions(
  problems: Problem[],
  path: readonly PathSegment[],
  keyed: Readonly<Record<string, unknown>>,
  regions: readonly string[],
  what: string,
): void {
  for (const region of regions) {
    if (!(region in keyed)) {
      problems.push({
        path: [...path, region],
        message: `missing; every region of the application needs ${what}`,
      });
    }
  }
  for (const region of Object.keys(keyed)) {
    if (!regions.includes(region)) {
      problems.push({
        path: [...path, region],
        message: `${region} is not one of the application's regions (${regions.join(', ')}); remove it or add the region`,
      });
    }
  }
}

/** An active-active application's weights and drain steps (docs/drain.md). */
function checkActiveActive(app: ApplicationConfig, at: readonly PathSegment[], problems: Problem[]): void {
  const activeActive = app.activeActive;
  if (activeActive === undefined) return;
  const path = [...at, 'activeActive'];
  sameRegions(
    problems,
    [...path, 'weights'],
    activeActive.weights,
    app.regions,
    'a weight (0 if it does not serve)',
  );
  const serving = Object.entries(activeActive.weights).filter(([, w]) => w > 0);
  if (serving.length < 2) {
    problems.push({
      path: [...path, 'weights'],
      message: `at least two regions must serve (weight above 0) for the application to be active-active; ${serving.length === 0 ? 'none does' : `only ${serving[0]?.[0] ?? ''} does`} (remove activeActive for an active-passive application)`,
    });
  }
  if (activeActive.moveWriter && app.database.engine !== 'aurora-global') {
    problems.push({
      path: [...path, 'moveWriter'],
      message:
        "only an aurora-global database's writer moves with a drain (its global writer endpoint follows a switchover); a promoted RDS read replica is a new endpoint the other regions' clients do not follow: remove moveWriter and move the writer with a failover",
    });
  }
  const steps = activeActive.drainSteps;
  steps.forEach((step, i) => {
    const previous = steps[i - 1];
    if (previous !== undefined && step >= previous) {
      problems.push({
        path: [...path, 'drainSteps', i],
        message: `drainSteps must decrease: ${step} comes after ${previous}`,
      });
    }
  });
  if (steps.at(-1) !== 0) {
    problems.push({
      path: [...path, 'drainSteps'],
      message: `the last step must be 0 so that a drain takes the region out of the answers (got ${String(steps.at(-1))})`,
    });
  }
}

/** A CloudNativePG topology: one Cluster per region, each named apart, and nothing Lifeboat does only on RDS. */
function checkCloudNativePg(
  app: ApplicationConfig,
  database: Extract<ApplicationConfig['database'], { engine: 'cloudnativepg' }>,
  at: readonly PathSegment[],
  problems: Problem[],
): void {
  sameRegions(
    problems,
    [...at, 'database', 'clusters'],
    database.clusters,
    app.regions,
    "a CloudNativePG Cluster (on the region's EKS cluster, workloads.<region>.clusterName)",
  );
  // A Cluster's name is its name in the topology: `primary` and `source` name the members by it.
  for (const name of new Set(duplicates(Object.values(database.clusters).map((c) => c.name)))) {
    problems.push({
      path: [...at, 'database', 'clusters'],
      message: `the Cluster name "${name}" is used in more than one region; each member of the topology needs its own name (spec.replica.primary and source name them)`,
    });
  }
  if (app.backup !== undefined) {
    problems.push({
      path: [...at, 'backup'],
      message:
        "Lifeboat's backups are RDS snapshots; CloudNativePG backs its clusters up itself (ScheduledBackup to an object store): remove backup",
    });
  }
}

function duplicates<T>(items: readonly T[]): T[] {
  return items.filter((item, index) => items.indexOf(item) !== index);
}

function checkApplication(
  app: ApplicationConfig,
  index: number,
  config: LifeboatConfig,
  problems: Problem[],
): void {
  const at = ['applications', index] as const;
  const primary = app.regions[0];

  for (const region of duplicates(app.regions)) {
    problems.push({ path: [...at, 'regions'], message: `${region} is listed twice` });
  }
  app.regions.forEach((region, i) => {
    if (!config.controlPlaneRegions.includes(region)) {
      problems.push({
        path: [...at, 'regions', i],
        message: `${region} has no control plane; add it to controlPlaneRegions (a workflow runs in the region it moves traffic to)`,
      });
    }
  });

  sameRegions(problems, [...at, 'dns', 'records'], app.dns.records, app.regions, 'a DNS record');
  sameRegions(problems, [...at, 'healthChecks'], app.healthChecks, app.regions, 'a health check');
  sameRegions(
    problems,
    [...at, 'dns', 'failback', 'loadBalancers'],
    app.dns.failback.loadBalancers,
    app.regions,
    'a load balancer',
  );
  sameRegions(problems, [...at, 'workloads'], app.workloads, app.regions, 'its workloads');
  if (app.database.engine === 'rds-read-replica') {
    sameRegions(
      problems,
      [...at, 'database', 'instances'],
      app.database.instances,
      app.regions,
      'a DB instance',
    );
    if (app.database.quarantineSecurityGroupIds !== undefined) {
      sameRegions(
        problems,
        [...at, 'database', 'quarantineSecurityGroupIds'],
        app.database.quarantineSecurityGroupIds,
        app.regions,
        'a quarantine security group (any region can be the old writer after a failover)',
      );
    }
  } else if (app.database.engine === 'aurora-global') {
    sameRegions(
      problems,
      [...at, 'database', 'clusters'],
      app.database.clusters,
      app.regions,
      'an Aurora cluster',
    );
  } else {
    checkCloudNativePg(app, app.database, at, problems);
  }

  app.stores.forEach((store, i) => {
    sameRegions(
      problems,
      [...at, 'stores', i, 'replicationGroups'],
      store.replicationGroups,
      app.regions,
      'a member replication group',
    );
    // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastore.html: a Global
    // Datastore has a primary cluster and up to two secondary clusters, in different regions.
    if (app.regions.length > 3) {
      problems.push({
        path: [...at, 'stores', i, 'replicationGroups'],
        message: `a Global Datastore spans at most 3 regions (a primary and two secondaries); ${app.name} has ${app.regions.length}`,
      });
    }
  });
  for (const name of new Set(duplicates(app.stores.map((s) => s.name)))) {
    problems.push({ path: [...at, 'stores'], message: `store name "${name}" is used twice` });
  }

  const setIds = Object.values(app.dns.records).map((r) => r.setIdentifier);
  for (const id of new Set(duplicates(setIds))) {
    problems.push({
      path: [...at, 'dns', 'records'],
      message: `setIdentifier "${id}" is used by more than one region`,
    });
  }

  const steps = app.dns.failback.steps;
  steps.forEach((step, i) => {
    const previous = steps[i - 1];
    if (previous !== undefined && step <= previous) {
      problems.push({
        path: [...at, 'dns', 'failback', 'steps', i],
        message: `steps must increase: ${step} comes after ${previous}`,
      });
    }
  });
  if (steps.at(-1) !== 100) {
    problems.push({
      path: [...at, 'dns', 'failback', 'steps'],
      message: `the last step must be 100 so that failback returns all traffic (got ${String(steps.at(-1))})`,
    });
  }

  checkActiveActive(app, at, problems);

  for (const [region, workload] of Object.entries(app.workloads)) {
    workload.nodeGroups.forEach((group, i) => {
      const path = [...at, 'workloads', region, 'nodeGroups', i];
      if (group.standbySize > group.activeSize) {
        problems.push({
          path: [...path, 'standbySize'],
          message: `${group.standbySize} is more than activeSize ${group.activeSize}; a standby runs at most its active size`,
        });
      }
      if (group.maxSize !== undefined && group.maxSize < group.activeSize) {
        problems.push({
          path: [...path, 'maxSize'],
          message: `${group.maxSize} is less than activeSize ${group.activeSize}; the node group could never reach its active size`,
        });
      }
    });
    for (const name of new Set(duplicates(workload.nodeGroups.map((g) => g.name)))) {
      problems.push({
        path: [...at, 'workloads', region, 'nodeGroups'],
        message: `node group "${name}" is listed twice`,
      });
    }
    workload.deployments.forEach((deployment, i) => {
      const path = [...at, 'workloads', region, 'deployments', i];
      if (deployment.standbyReplicas > deployment.activeReplicas) {
        problems.push({
          path: [...path, 'standbyReplicas'],
          message: `${deployment.standbyReplicas} is more than activeReplicas ${deployment.activeReplicas}`,
        });
      }
      const builtIn = BUILT_IN_WORKLOADS[deployment.kind];
      if (builtIn === undefined) {
        for (const field of ['apiVersion', 'resource'] as const) {
          if (deployment[field] === undefined) {
            problems.push({
              path: [...path, field],
              message: `${deployment.kind} is not a built-in kind (${Object.keys(BUILT_IN_WORKLOADS).join(', ')}): give its ${field === 'apiVersion' ? 'apiVersion, such as argoproj.io/v1alpha1' : 'resource, the plural in its API path, such as rollouts'}`,
            });
          }
        }
      } else {
        for (const field of ['apiVersion', 'resource'] as const) {
          const value = deployment[field];
          if (value !== undefined && value !== builtIn[field]) {
            problems.push({
              path: [...path, field],
              message: `a ${deployment.kind}'s ${field} is ${builtIn[field]}, not ${value}; leave it out`,
            });
          }
        }
      }
      const autoscaler = deployment.autoscaler;
      if (autoscaler !== undefined && deployment.standbyReplicas < AUTOSCALERS[autoscaler.kind].leastMin) {
        problems.push({
          path: [...path, 'standbyReplicas'],
          message: `a HorizontalPodAutoscaler's minReplicas is at least 1 (0 needs the alpha HPAScaleToZero feature gate); set standbyReplicas to 1, or let a KEDA ScaledObject, whose minReplicaCount may be 0, own the workload`,
        });
      }
      if (
        deployment.minReadyReplicas !== undefined &&
        deployment.minReadyReplicas > deployment.activeReplicas
      ) {
        problems.push({
          path: [...path, 'minReadyReplicas'],
          message: `${deployment.minReadyReplicas} is more than activeReplicas ${deployment.activeReplicas}; it could never be met`,
        });
      }
    });
    const autoscalerIds = workload.deployments.flatMap((d) =>
      d.autoscaler === undefined ? [] : [`${d.autoscaler.kind} ${d.namespace}/${d.autoscaler.name}`],
    );
    for (const id of new Set(duplicates(autoscalerIds))) {
      problems.push({
        path: [...at, 'workloads', region, 'deployments'],
        message: `${id} is named as the autoscaler of two workloads; an autoscaler scales one target`,
      });
    }
    const deploymentIds = workload.deployments.map((d) => `${d.namespace}/${d.name}`);
    for (const id of new Set(duplicates(deploymentIds))) {
      problems.push({
        path: [...at, 'workloads', region, 'deployments'],
        message: `workload ${id} is listed twice`,
      });
    }
  }

  checkCustomSteps(app, at, problems);

  const signals = app.regions.length; // the Route 53 alarm and one probe from each other region
  if (app.detection.quorum > signals) {
    problems.push({
      path: [...at, 'detection', 'quorum'],
      message: `${app.detection.quorum} is more than the ${signals} signals an outage of a region can raise (its Route 53 alarm and a probe from each of the other ${signals - 1} regions)`,
    });
  }
  if (app.automation.maxReplicaLagSeconds > app.targets.rpoSeconds) {
    problems.push({
      path: [...at, 'automation', 'maxReplicaLagSeconds'],
      message: `${app.automation.maxReplicaLagSeconds} exceeds targets.rpoSeconds ${app.targets.rpoSeconds}; an automatic failover must not promote past the RPO budget`,
    });
  }
  if (app.backup !== undefined && app.backup.copyToRegion === primary) {
    problems.push({
      path: [...at, 'backup', 'copyToRegion'],
      message: `${primary} is the primary region; copy backups to another region so they survive its loss`,
    });
  }
  if (app.backup !== undefined) checkBackup(app, app.backup, at, config, problems);
  const gameDay = app.drills?.gameDayApplication;
  if (gameDay !== undefined) {
    if (gameDay === app.name) {
      problems.push({
        path: [...at, 'drills', 'gameDayApplication'],
        message:
          'a game day runs a real failover, so it must name a drill copy of the application, not the application itself',
      });
    } else if (!config.applications.some((other) => other.name === gameDay)) {
      problems.push({
        path: [...at, 'drills', 'gameDayApplication'],
        message: `"${gameDay}" is not an application in this config`,
      });
    }
  }
}

function checkBackup(
  app: ApplicationConfig,
  backup: BackupConfig,
  at: readonly PathSegment[],
  config: LifeboatConfig,
  problems: Problem[],
): void {
  if (!config.controlPlaneRegions.includes(backup.copyToRegion)) {
    problems.push({
      path: [...at, 'backup', 'copyToRegion'],
      message: `${backup.copyToRegion} has no control plane; the backup and restore test run in the copy region, so add it to controlPlaneRegions`,
    });
  }
  const keyRegion = /^arn:[^:]+:kms:([^:]+):/.exec(backup.copyKmsKeyId)?.[1];
  if (keyRegion !== undefined && keyRegion !== backup.copyToRegion) {
    problems.push({
      path: [...at, 'backup', 'copyKmsKeyId'],
      message: `the key is in ${keyRegion}, but the copies are made in ${backup.copyToRegion}; KMS keys are regional, so name a key of ${backup.copyToRegion}`,
    });
  }
  // Snapshot and instance identifiers take the application's name; RDS refuses "--" and a trailing "-".
  if (app.name.includes('--') || app.name.endsWith('-')) {
    problems.push({
      path: [...at, 'name'],
      message: `"${app.name}" cannot start an RDS snapshot identifier (no "--", no trailing "-"); rename the application or remove its backup block`,
    });
  }
}

function crossCheck(config: LifeboatConfig): Problem[] {
  const problems: Problem[] = [];
  for (const region of new Set(duplicates(config.controlPlaneRegions))) {
    problems.push({ path: ['controlPlaneRegions'], message: `${region} is listed twice` });
  }
  for (const user of new Set(duplicates(config.slack.approvers))) {
    problems.push({ path: ['slack', 'approvers'], message: `${user} is listed twice` });
  }
  const names = config.applications.map((a) => a.name);
  config.applications.forEach((app, index) => {
    if (names.indexOf(app.name) !== index) {
      problems.push({
        path: ['applications', index, 'name'],
        message: `"${app.name}" is already the name of another application`,
      });
    }
    checkApplication(app, index, config, problems);
  });
  return problems;
}

/** Validates a parsed config document. Throws `ConfigError` listing every problem with its path. */
export function parseConfig(raw: unknown, source = 'config'): LifeboatConfig {
  const parsed = LifeboatConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.flatMap((issue) => describeIssue(issue).split('\n')),
    );
  }
  const problems = crossCheck(parsed.data);
  if (problems.length > 0) {
    throw new ConfigError(
      source,
      problems.map((p) => `${formatPath(p.path)}: ${p.message}`),
    );
  }
  return parsed.data;
}

/** Reads and validates a config file. Throws `ConfigError` naming the file and every problem in it. */
export function loadConfig(file: string): LifeboatConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new ConfigError(file, [`cannot read the file: ${reason}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  const unread = readJobManifests(raw, file);
  if (unread.length > 0) {
    throw new ConfigError(
      file,
      unread.map((p) => `${formatPath(p.path)}: ${p.message}`),
    );
  }
  return parseConfig(raw, file);
}

/** The primary (first-preference) region of an application. */
export function primaryRegion(app: ApplicationConfig): string {
  const primary = app.regions[0];
  if (primary === undefined) throw new Error(`application ${app.name} has no regions`);
  return primary;
}
