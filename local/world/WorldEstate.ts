import { AsyncLocalStorage } from 'node:async_hooks';
import {
  CloudNativePgClusters,
  clusterPath,
  type KubernetesCaller,
} from '../../shared/aws/CloudNativePgClusters.ts';
import { CloudNativePgDatabase } from '../../shared/aws/CloudNativePgDatabase.ts';
import { EngineDatabases } from '../../shared/aws/EngineDatabases.ts';
import { KubernetesApiError } from '../../shared/aws/KubernetesApi.ts';
import { workloadResource } from '../../shared/config/workloadKinds.ts';
import { rbacFor } from '../../shared/config/kubernetesRbac.ts';
import { INCIDENT_DETAIL_TYPE } from '../../shared/aws/EventBridgeIncidents.ts';
import type {
  ApplicationConfig,
  AutoscalerConfig,
  ScaledWorkloadConfig,
} from '../../shared/config/LifeboatConfig.ts';
import { fenceVoteRegions, publishFenceVotes, votesNeeded } from '../../shared/aws/CloudWatchFence.ts';
import { servesClients } from '../../shared/aws/RdsDatabase.ts';
import { DatabaseBusyError } from '../../shared/errors.ts';
import { AlarmHealth } from '../../shared/failover/alarmHealth.ts';
import { quarantineState, type DatabasePort, type Estate } from '../../shared/ports/Estate.ts';
import { worldBackups } from './Snapshots.ts';
import type { World } from './World.ts';

/**
 * The estate ports over the simulated world. Every call takes the time the latency model gives an
 * API call on the virtual clock, then asks the world, which fails it as the SDK would when a fault
 * is in force.
 */
export function worldEstate(world: World, options: { channel: string }): Estate {
  const call = async <T>(work: () => T): Promise<T> => {
    await world.clock.sleep(world.latency.apiCallSeconds);
    return work();
  };
  const name = (app: ApplicationConfig): string => app.name;
  const autoscalerOf = (
    app: ApplicationConfig,
    region: string,
    w: ScaledWorkloadConfig & { readonly autoscaler: AutoscalerConfig },
  ) => world.readAutoscaler(name(app), region, w.namespace, w.autoscaler.kind, w.autoscaler.name);
  const rdsDatabase: Omit<DatabasePort, 'follow' | 'fence'> = {
    describe: (app, region) =>
      call(() => {
        const d = world.describeDatabase(name(app), region);
        // A database whose region is down cannot be described: the call above already failed.
        if (d.role === 'down') throw new Error(`${region} is down`);
        return {
          role: d.role,
          // As RdsDatabase reads an Aurora member that Aurora is rebuilding.
          available: servesClients(d.status) && d.synchronization === 'connected',
          sourceRegion: d.sourceRegion,
        };
      }),
    promote: (app, region, o) =>
      call(() => {
        try {
          return world.promoteDatabase(name(app), region, { planned: o.planned, by: o.by });
        } catch (error) {
          // As RdsDatabase reports a replica that refuses promotion for now (backing up).
          const d = world.describeDatabase(name(app), region);
          if ((error as Error).name === 'InvalidDBInstanceStateFault' && d.status !== 'available') {
            throw new DatabaseBusyError(`${d.identifier} in ${region} is ${d.status}`, { cause: error });
          }
          throw error;
        }
      }),
    retire: (app, region, newIdentifier) =>
      call(() => {
        try {
          world.retireDatabase(name(app), region, newIdentifier);
          return 'renamed' as const;
        } catch (error) {
          if ((error as Error).name === 'DBInstanceNotFoundFault') return 'absent' as const;
          throw error;
        }
      }),
    // The simulated databases are not encrypted: nothing stands in a replica's way but its source.
    replicaProblem: (app, _region, sourceRegion) =>
      call(() => {
        const source = world.describeDatabase(name(app), sourceRegion);
        return source.role === 'replica'
          ? `${source.identifier} in ${sourceRegion} is a replica; replicate from the writer`
          : undefined;
      }),
    createReplica: (app, region, sourceRegion) =>
      call(() => {
        try {
          world.createReadReplica(name(app), region, sourceRegion);
          return 'started' as const;
        } catch (error) {
          if ((error as Error).name === 'DBInstanceAlreadyExistsFault') return 'busy' as const;
          throw error;
        }
      }),
    // As RdsDatabase does it: move the instance into the group alone, then report until active.
    quarantine: (app, region, securityGroupId) =>
      call(() => {
        let d: ReturnType<World['describeDatabase']>;
        try {
          d = world.describeDatabase(name(app), region);
        } catch (error) {
          if ((error as Error).name === 'DBInstanceNotFoundFault') {
            return { phase: 'absent' as const, securityGroupIds: [], status: 'absent' };
          }
          throw error;
        }
        if (d.role === 'down') throw new Error(`${region} is down`);
        const state = quarantineState(
          { role: d.role, status: d.status, groups: world.databaseSecurityGroups(name(app), region) },
          securityGroupId,
        );
        if (state.phase === 'moved') world.setDatabaseSecurityGroups(name(app), region, [securityGroupId]);
        return state;
      }),
    reboot: (app, region) =>
      call(() => {
        world.rebootDatabase(name(app), region);
      }),
  };
  const estate: Omit<Estate, 'health'> = {
    dns: {
      getWeights: (app) => call(() => world.getWeights(name(app))),
      setWeights: (app, weights, o) =>
        call(() => world.changeWeights(name(app), weights, { force: o.force, by: o.by })),
      getChangeStatus: (changeId) => call(() => world.getChange(changeId)),
    },
    database: new EngineDatabases({
      rds: { ...rdsDatabase, follow: refuse('follow'), fence: refuse('fence') },
      cloudnativepg: cnpgDatabase(world, call),
    }),
    workloads: {
      clusterReachable: (app, region) =>
        call(() => {
          world.faults.check('eks', 'DescribeCluster', region);
          return true;
        }),
      describeNodeGroup: (app, region, group) =>
        call(() => {
          const g = world.describeNodegroup(name(app), region, group);
          return { desired: g.desired, ready: g.ready, min: g.min, max: g.max };
        }),
      nodeGroupHealth: (app, region, group) =>
        call(() => {
          const g = world.describeNodegroup(name(app), region, group);
          return { max: g.max, issues: g.issues };
        }),
      scaleNodeGroup: (app, region, group, scaling) =>
        call(() => {
          world.updateNodegroupConfig(name(app), region, group, scaling);
        }),
      describeWorkload: (app, region, w) =>
        call(() => {
          const d = world.readWorkload(name(app), region, w.namespace, w.name);
          return { replicas: d.replicas, readyReplicas: d.readyReplicas };
        }),
      // Read, then write only a change: the calls EksWorkloads makes.
      scaleWorkload: (app, region, w, replicas) =>
        call(() => {
          const current = world.readWorkload(name(app), region, w.namespace, w.name, 'ReadWorkloadScale');
          if (current.replicas !== replicas)
            world.scaleWorkload(name(app), region, w.namespace, w.name, replicas);
        }),
      describeAutoscaler: (app, region, w) =>
        call(() => {
          const a = autoscalerOf(app, region, w);
          return {
            min: a.min,
            max: a.max,
            target: { apiVersion: workloadResource(w).apiVersion, kind: a.target.kind, name: a.target.name },
            paused: a.paused,
          };
        }),
      // The world's clusters have the RBAC that `lifeboat kubernetes-rbac` prints (the AWS twin lets a
      // rehearsal leave it out).
      readRbac: (app, region, namespace, rbacName) =>
        call(() => {
          const objects = rbacFor(world.config, region, app.workloads[region]?.clusterName);
          const find = (kind: 'Role' | 'RoleBinding') =>
            objects.find(
              (o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === rbacName,
            );
          const role = find('Role');
          const binding = find('RoleBinding');
          return { ...(role === undefined ? {} : { role }), ...(binding === undefined ? {} : { binding }) };
        }),
      setAutoscalerBounds: (app, region, w, bounds) =>
        call(() => {
          const a = autoscalerOf(app, region, w);
          if (a.min !== bounds.min || a.max !== bounds.max)
            world.patchAutoscaler(
              name(app),
              region,
              w.namespace,
              w.autoscaler.kind,
              w.autoscaler.name,
              bounds,
            );
        }),
    },
    custom: {
      invoke: async (functionArn, payload, timeoutSeconds) => {
        await world.clock.sleep(world.latency.apiCallSeconds);
        const answer = await Promise.race([
          world.customSteps.invoke(functionArn, payload),
          world.clock.sleep(timeoutSeconds).then(() => undefined),
        ]);
        if (answer === undefined)
          return { ok: false, output: '', error: `did not answer within ${timeoutSeconds} s` };
        const output = answer.payload.slice(0, 500);
        if (answer.functionError === undefined) return { ok: true, output };
        const error = JSON.parse(answer.payload) as { errorType: string; errorMessage: string };
        return { ok: false, output, error: `${error.errorType}: ${error.errorMessage}` };
      },
      startJob: (app, region, namespace, jobName, job) =>
        call(() => {
          const step =
            (job.metadata as { labels?: Record<string, string> } | undefined)?.labels?.['lifeboat.io/step'] ??
            jobName;
          try {
            world.customSteps.createJob(name(app), step, region, namespace, jobName);
          } catch (error) {
            if ((error as Error).name !== 'AlreadyExists') throw error;
          }
        }),
      jobStatus: (app, region, namespace, jobName) =>
        call(() => {
          const job = world.customSteps.job(region, namespace, jobName);
          if (job === undefined)
            return { state: 'missing' as const, detail: `Job ${namespace}/${jobName} not found` };
          const pods = `${job.active} active, ${job.succeeded} succeeded, ${job.failed} failed`;
          return job.state === 'failed'
            ? {
                state: 'failed' as const,
                detail: `BackoffLimitExceeded: Job has reached the specified backoff limit (${pods})`,
              }
            : { state: job.state, detail: job.state === 'succeeded' ? `complete (${pods})` : pods };
        }),
      deleteJob: (app, region, namespace, jobName) =>
        call(() => {
          world.customSteps.deleteJob(region, namespace, jobName);
        }),
    },
    stores: {
      describe: (app, store, region) =>
        call(() => {
          world.faults.check('elasticache', 'DescribeGlobalReplicationGroups', region);
          const sim = world.stores.store(name(app), store.name);
          const global = world.stores.describeGlobal(sim);
          const member = global.members.find((m) => m.region === region);
          const primary = global.members.find((m) => m.role === 'PRIMARY');
          const isPrimary = member?.role === 'PRIMARY';
          return {
            role: isPrimary ? 'primary' : 'secondary',
            available: global.status === 'available' && member?.status === 'associated',
            sourceRegion: isPrimary ? undefined : primary?.region,
          };
        }),
      promote: (app, store, region, o) =>
        call(() => {
          world.faults.check('elasticache', 'FailoverGlobalReplicationGroup', region);
          const sim = world.stores.store(name(app), store.name);
          const member = world.stores.describeGlobal(sim).members.find((m) => m.region === region);
          if (member?.role === 'PRIMARY') return 'already-promoted';
          world.stores.failover(sim, region, { planned: o.planned, by: o.by });
          return 'started';
        }),
      lagHistory: (app, store, region, windowSeconds) =>
        call(() => {
          world.faults.check('elasticache', 'DescribeReplicationGroups', region);
          world.faults.check('cloudwatch', 'GetMetricData', region);
          const now = world.clock.seconds;
          return world.stores
            .lagSeries(world.stores.store(name(app), store.name), region, now - windowSeconds, now, 60)
            .map((p) => ({ at: world.clock.secondsToIso(p.at), seconds: p.seconds }));
        }),
    },
    metrics: {
      replicaLagSeconds: (app, region) =>
        call(() => {
          world.faults.check('cloudwatch', 'GetMetricData', region);
          return world.replicaLagSeconds(name(app), region);
        }),
      replicaLagHistory: (app, region, windowSeconds) =>
        call(() => {
          world.faults.check('cloudwatch', 'GetMetricData', region);
          const now = world.clock.seconds;
          return world
            .replicaLagSeries(name(app), region, now - windowSeconds, now, 60)
            .map((p) => ({ at: world.clock.secondsToIso(p.at), seconds: p.seconds }));
        }),
    },
    traffic: {
      errorRatePercent: (app, region) =>
        call(() => {
          world.faults.check('cloudwatch', 'GetMetricData', region);
          return world.errorRatePercent(name(app), region);
        }),
      latencyMs: (app, region) =>
        call(() => {
          world.faults.check('cloudwatch', 'GetMetricData', region);
          return world.latencyMs(name(app), region);
        }),
    },
    alarms: {
      describe: (alarmName, region) =>
        call(() => {
          const alarm = world.describeAlarm(alarmName, region);
          return {
            state: alarm.state,
            updatedAt: world.clock.secondsToIso(alarm.updatedAt),
            ...(alarm.breachingSince === undefined
              ? {}
              : { breachingSince: world.clock.secondsToIso(alarm.breachingSince) }),
          };
        }),
    },
    probe: {
      probe: (app, region) => call(() => (world.endpointUp(name(app), region) ? 'healthy' : 'unhealthy')),
    },
    fence: {
      // A vote in each of the record's vote regions, as CloudWatchFence publishes it.
      setFence: async (app, region, fenced) => {
        await world.clock.sleep(world.latency.apiCallSeconds);
        const voters = fenceVoteRegions(world.config, app, region);
        return publishFenceVotes(
          voters,
          votesNeeded(voters.length, fenced, app.healthChecks[region]?.kind !== 'existing'),
          `${fenced ? 'fencing' : 'unfencing'} ${name(app)} in ${region}`,
          (voteRegion) => {
            world.publishFenceVote(name(app), region, fenced, voteRegion);
            return Promise.resolve();
          },
        );
      },
    },
    telemetry: {
      // The simulated world keeps its own record of weights and outcomes; nothing to publish.
      weights: () => Promise.resolve(),
      rto: () => Promise.resolve(),
      approvalWait: () => Promise.resolve(),
    },
    notifier: {
      post: (text, blocks, thread) =>
        call(() => {
          world.clock.touch();
          return world.postSlackMessage(options.channel, text, blocks, thread);
        }),
      update: (ts, text, blocks) =>
        call(() => {
          world.updateSlackMessage(ts, text, blocks);
        }),
      postEphemeral: (user, text) =>
        call(() => {
          world.postSlackEphemeral(options.channel, user, text);
        }),
    },
    // The paging hook: an incident event is a line in the world's timeline, where a rule would pick it up.
    pager: {
      page: (event) =>
        call(() => {
          world.faults.check('events', 'PutEvents', event.region);
          world.recordPage(
            event.region,
            world.config.paging?.eventBusName ?? 'default',
            INCIDENT_DETAIL_TYPE,
            event,
          );
        }),
    },
    backups: worldBackups(world.snapshots, call),
  };
  // Route 53's health as the Lambda functions read it: the health check's alarm.
  return { ...estate, health: new AlarmHealth(estate.alarms) };
}

/** An RDS or Aurora database asked what only a CloudNativePG cluster does: refused, as RdsDatabase refuses. */
function refuse(what: 'follow' | 'fence'): () => Promise<never> {
  return () =>
    Promise.reject(
      new Error(
        what === 'follow'
          ? 'an RDS or Aurora database cannot be given another source: only a CloudNativePG replica cluster can'
          : 'an RDS or Aurora database has no fence: quarantine moves it into a security group',
      ),
    );
}

/** Who the promotion under way is by, for the world's record (the steps give it to `promote`). */
const promotionBy = new AsyncLocalStorage<string>();

/**
 * The CloudNativePG adapter itself over the world's Cluster resources: its GET and merge PATCH of
 * `/apis/postgresql.cnpg.io/v1/namespaces/<ns>/clusters/<name>` answered in process, each after an API
 * call's latency and through the `kubernetes` faults, as the Kubernetes twin answers them on the wire.
 */
function cnpgDatabase(world: World, call: <T>(work: () => T) => Promise<T>): DatabasePort {
  const caller: KubernetesCaller = {
    call: (region, clusterName, method, path, body) =>
      call(() => {
        const found = world.config.applications.find((app) => {
          if (app.database.engine !== 'cloudnativepg' || app.workloads[region]?.clusterName !== clusterName)
            return false;
          const cluster = app.database.clusters[region];
          return cluster !== undefined && path === clusterPath(cluster);
        });
        if (found === undefined || (method !== 'GET' && method !== 'PATCH')) {
          throw new KubernetesApiError(
            'NotFound',
            404,
            `the server could not find the requested resource (${path})`,
          );
        }
        world.faults.check('kubernetes', method === 'GET' ? 'ReadCnpgCluster' : 'PatchCnpgCluster', region);
        if (method === 'PATCH') {
          try {
            const by = promotionBy.getStore();
            world.patchCnpgCluster(
              found.name,
              region,
              JSON.parse(body ?? '{}') as unknown,
              by === undefined ? {} : { by },
            );
          } catch (error) {
            if ((error as Error).name === 'Invalid')
              throw new KubernetesApiError('Invalid', 422, (error as Error).message);
            throw error;
          }
        }
        return world.cnpgCluster(found.name, region);
      }),
  };
  const adapter: DatabasePort = new CloudNativePgDatabase(new CloudNativePgClusters(caller));
  return {
    describe: (app, region) => adapter.describe(app, region),
    promote: (app, region, options) =>
      promotionBy.run(options.by, () => adapter.promote(app, region, options)),
    retire: (app, region, id) => adapter.retire(app, region, id),
    createReplica: (app, region, source) => adapter.createReplica(app, region, source),
    replicaProblem: (app, region, source) => adapter.replicaProblem(app, region, source),
    quarantine: (app, region, group) => adapter.quarantine(app, region, group),
    reboot: (app, region) => adapter.reboot(app, region),
    follow: (app, region, writer) => adapter.follow(app, region, writer),
    fence: (app, region) => adapter.fence(app, region),
  };
}
