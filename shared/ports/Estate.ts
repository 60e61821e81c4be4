import type {
  ApplicationConfig,
  AutoscalerConfig,
  ScaledWorkloadConfig,
  StoreConfig,
} from '../config/LifeboatConfig.ts';
import type { RbacObject } from '../config/kubernetesRbac.ts';
import type { BackupsPort } from './Backups.ts';

/**
 * The ports a workflow step needs from the estate it manages. Each is what a step asks, not a
 * mirror of an AWS API: `shared/aws/` implements them over the AWS SDK, `local/` over the
 * simulated world, and the step code is the same for both. Every method may throw the SDK's errors
 * (by `name`); the step layer classifies them for the workflows' Retry and Catch.
 */

export type HealthStatus = 'healthy' | 'unhealthy';

/** Route 53 weighted records of an application, one per region. */
export interface DnsPort {
  /** The weights in force, by region. */
  getWeights(app: ApplicationConfig): Promise<Record<string, number>>;
  /**
   * Sets the weights of the named regions' records in one change batch (UPSERT) and returns the
   * change id. `force` marks a change a human forced onto an unhealthy region; `by` names the run.
   */
  setWeights(
    app: ApplicationConfig,
    weights: Readonly<Record<string, number>>,
    options: { readonly force: boolean; readonly by: string },
  ): Promise<string>;
  getChangeStatus(changeId: string): Promise<'PENDING' | 'INSYNC'>;
}

/** Route 53's view of each region's health check. */
export interface HealthPort {
  getStatus(app: ApplicationConfig, region: string): Promise<HealthStatus>;
}

export interface DatabaseStatus {
  /** `writer`: the primary of its replication; `standalone`: a promoted replica; `replica`: reads only. */
  readonly role: 'writer' | 'replica' | 'standalone';
  /** False while the instance or cluster is modifying (a promotion in progress). */
  readonly available: boolean;
  readonly sourceRegion: string | undefined;
}

export interface DatabasePort {
  describe(app: ApplicationConfig, region: string): Promise<DatabaseStatus>;
  /**
   * Makes the region's database the writer: RDS PromoteReadReplica, or an Aurora global cluster
   * failover (`planned: false`, data loss allowed) or switchover (`planned: true`). A database that is
   * already the writer, or already being promoted, is success: `already-promoted`.
   */
  promote(
    app: ApplicationConfig,
    region: string,
    options: {
      readonly planned: boolean;
      readonly by: string;
      /**
       * A planned switch's source region, whose writer gives way (CloudNativePG demotes it first);
       * RDS and Aurora need no name for it.
       */
      readonly from?: string;
    },
  ): Promise<'started' | 'already-promoted'>;
  /**
   * RDS: renames the region's instance out of the configured identifier's way, applied at once, and
   * keeps it (its unreplicated writes stay readable). `absent` when no instance has that identifier.
   */
  retire(app: ApplicationConfig, region: string, newIdentifier: string): Promise<'renamed' | 'absent'>;
  /**
   * RDS: creates the region's configured instance as a cross-region read replica of the writer in
   * `sourceRegion`. `busy` while the identifier is still taken (a rename being applied).
   */
  createReplica(app: ApplicationConfig, region: string, sourceRegion: string): Promise<'started' | 'busy'>;
  /**
   * RDS: why a replica of the writer in `sourceRegion` could not be created in `region` as the config
   * stands (an encrypted source and no KMS key of the region configured), read only; undefined when
   * nothing stands in the way. Asked before an existing replica is renamed to make room for one.
   */
  replicaProblem(app: ApplicationConfig, region: string, sourceRegion: string): Promise<string | undefined>;
  /**
   * RDS: moves the region's instance into the quarantine security group `securityGroupId` alone
   * (ModifyDBInstance VpcSecurityGroupIds, which RDS applies asynchronously and without downtime),
   * unless it is there already, and says where it stands (`QuarantineState`). New connections are
   * refused once the group is active; connections already open survive until a reboot.
   */
  quarantine(app: ApplicationConfig, region: string, securityGroupId: string): Promise<QuarantineState>;
  /** RDS RebootDBInstance of the region's instance: ends every open connection. */
  reboot(app: ApplicationConfig, region: string): Promise<void>;
  /**
   * CloudNativePG: makes the region's replica cluster replicate from the writer in `writerRegion`
   * (`spec.replica.primary` and `source` name the writer's cluster); `already` when it does. RDS
   * replicas cannot change their source and Aurora re-points its secondaries itself: both refuse.
   */
  follow(app: ApplicationConfig, region: string, writerRegion: string): Promise<'started' | 'already'>;
  /**
   * CloudNativePG: fences every instance of the region's cluster (`cnpg.io/fencedInstances: ["*"]`):
   * PostgreSQL stops and its data stays for inspection. `already` when it is fenced. Others refuse.
   */
  fence(app: ApplicationConfig, region: string): Promise<'fenced' | 'already'>;
}

/** Where a store's member stands in its region (`stores` in the config, docs/stores.md). */
export interface StoreStatus {
  /**
   * `primary`: it takes the store's writes; `secondary`: it reads, replicated from the primary in
   * `sourceRegion`; `standalone`: it was taken out of its Global Datastore and takes writes alone.
   */
  readonly role: 'primary' | 'secondary' | 'standalone';
  /** False while the store or the member is changing (a failover in progress, a member joining). */
  readonly available: boolean;
  readonly sourceRegion: string | undefined;
}

/** The stateful components besides the database: an ElastiCache Global Datastore's members. */
export interface StoresPort {
  describe(app: ApplicationConfig, store: StoreConfig, region: string): Promise<StoreStatus>;
  /**
   * Makes the region's member the store's primary: a failover of the Global Datastore, which AWS
   * allows whether or not the primary's region answers, and which makes every other member a
   * secondary. It has no planned mode: a planned caller waits for the member to catch up first
   * (`storesBehind`). A member that is already the primary, or standalone, is success:
   * `already-promoted`.
   */
  promote(
    app: ApplicationConfig,
    store: StoreConfig,
    region: string,
    options: { readonly planned: boolean; readonly by: string },
  ): Promise<'started' | 'already-promoted'>;
  /**
   * The region's member's lag behind the primary, one datapoint a minute (the period's `Maximum`)
   * over the last `windowSeconds`, newest first: what `replicationAtRisk` reads for the lag gate.
   */
  lagHistory(
    app: ApplicationConfig,
    store: StoreConfig,
    region: string,
    windowSeconds: number,
  ): Promise<LagSample[]>;
}

/** Where a quarantine stands: `moved` (just asked), `applying` (not active yet), `isolated` (active). */
export interface QuarantineState {
  readonly phase: 'absent' | 'replica' | 'moved' | 'applying' | 'isolated';
  /** The instance's security groups before the move (those it has, when it was not moved). */
  readonly securityGroupIds: readonly string[];
  /** The instance's status (`available`, `rebooting`, `modifying`, ...). */
  readonly status: string;
}

/**
 * Where an instance stands against its quarantine group `securityGroupId`: `moved` when it is not in
 * that group alone (the caller then moves it), otherwise `applying` or `isolated` by the group's
 * status; a replica is left alone. Both the RDS adapter and the simulated world decide with it.
 */
export function quarantineState(
  instance: {
    readonly role: DatabaseStatus['role'];
    readonly status: string;
    readonly groups: readonly { readonly id: string; readonly status: string }[];
  },
  securityGroupId: string,
): QuarantineState {
  const base = { securityGroupIds: instance.groups.map((g) => g.id), status: instance.status };
  if (instance.role === 'replica') return { phase: 'replica', ...base };
  const [only, ...others] = instance.groups;
  if (only?.id !== securityGroupId || others.length > 0) return { phase: 'moved', ...base };
  return { phase: only.status === 'active' ? 'isolated' : 'applying', ...base };
}

export interface NodeGroupStatus {
  readonly desired: number;
  readonly ready: number;
  readonly min: number;
  readonly max: number;
}

/** A node group's scaling limit and the health issues EKS reports for it (DescribeNodegroup alone). */
export interface NodeGroupHealth {
  readonly max: number;
  /** EKS's issue codes and messages (`AsgInstanceLaunchFailures`, `InsufficientFreeAddresses`, ...). */
  readonly issues: readonly { readonly code: string; readonly message: string }[];
}

export interface WorkloadStatus {
  readonly replicas: number;
  readonly readyReplicas: number;
}

/** An autoscaler's bounds and target, as the cluster holds them. */
export interface AutoscalerStatus {
  readonly min: number;
  readonly max: number;
  /** The workload it scales (in its own namespace). */
  readonly target: { readonly apiVersion: string; readonly kind: string; readonly name: string };
  /** Whether it is paused (KEDA's `autoscaling.keda.sh/paused` annotations) and scales nothing. */
  readonly paused: boolean;
}

export interface WorkloadsPort {
  /** Whether the region's EKS cluster answers (DescribeCluster says ACTIVE). */
  clusterReachable(app: ApplicationConfig, region: string): Promise<boolean>;
  describeNodeGroup(app: ApplicationConfig, region: string, nodeGroup: string): Promise<NodeGroupStatus>;
  /** The node group's limit and health from EKS's API, without the Kubernetes API. */
  nodeGroupHealth(app: ApplicationConfig, region: string, nodeGroup: string): Promise<NodeGroupHealth>;
  scaleNodeGroup(
    app: ApplicationConfig,
    region: string,
    nodeGroup: string,
    scaling: { readonly desired: number; readonly min?: number; readonly max?: number },
  ): Promise<void>;
  /** A workload's replicas and ready replicas, from its status. */
  describeWorkload(
    app: ApplicationConfig,
    region: string,
    workload: ScaledWorkloadConfig,
  ): Promise<WorkloadStatus>;
  /** Sets a workload's replicas through its `/scale` subresource; nothing when it already has them. */
  scaleWorkload(
    app: ApplicationConfig,
    region: string,
    workload: ScaledWorkloadConfig,
    replicas: number,
  ): Promise<void>;
  /** The autoscaler the config names for the workload. */
  describeAutoscaler(
    app: ApplicationConfig,
    region: string,
    workload: ScaledWorkloadConfig & { readonly autoscaler: AutoscalerConfig },
  ): Promise<AutoscalerStatus>;
  /**
   * A namespace's Role and RoleBinding of that name (RBAC the cluster's owner applied), each
   * undefined when it is not there.
   */
  readRbac(
    app: ApplicationConfig,
    region: string,
    namespace: string,
    name: string,
  ): Promise<{ readonly role?: RbacObject; readonly binding?: RbacObject }>;
  /** Sets the autoscaler's minimum and maximum; nothing when it already has them. */
  setAutoscalerBounds(
    app: ApplicationConfig,
    region: string,
    workload: ScaledWorkloadConfig & { readonly autoscaler: AutoscalerConfig },
    bounds: { readonly min: number; readonly max: number },
  ): Promise<void>;
}

/** One datapoint of a replica's lag: the start of its period (ISO) and its value in seconds. */
export interface LagSample {
  readonly at: string;
  readonly seconds: number;
}

export interface MetricsPort {
  /** The region's replica lag in seconds, or undefined when there is no datapoint. */
  replicaLagSeconds(app: ApplicationConfig, region: string): Promise<number | undefined>;
  /** The region's replica lag datapoints, one a minute, over the last `windowSeconds`, newest first. */
  replicaLagHistory(app: ApplicationConfig, region: string, windowSeconds: number): Promise<LagSample[]>;
}

/** What the failback's guard reads between steps. */
export interface TrafficMetricsPort {
  /** Percent of requests that failed in the region over the last `windowSeconds`. */
  errorRatePercent(
    app: ApplicationConfig,
    region: string,
    windowSeconds: number,
  ): Promise<number | undefined>;
  /** p99 latency in the region over the last `windowSeconds`, in milliseconds. */
  latencyMs(app: ApplicationConfig, region: string, windowSeconds: number): Promise<number | undefined>;
}

/** A direct probe of a region's endpoint from the control plane that runs the step. */
export interface EndpointProbePort {
  probe(app: ApplicationConfig, region: string): Promise<HealthStatus>;
}

export interface AlarmDescription {
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly updatedAt: string;
  readonly breachingSince?: string;
}

/** CloudWatch alarms of the detection signals, read where they live. */
export interface AlarmsPort {
  /**
   * The alarm's state and when it last changed (ISO), read in `region`; in ALARM, also the time of
   * the earliest breaching datapoint it evaluated (`breachingSince`: where the failure began as
   * detection saw it), when CloudWatch says. Throws when the region does not answer.
   */
  describe(alarmName: string, region: string): Promise<AlarmDescription>;
}

/** Where a fence vote was published (`votes`) and which vote regions did not take it (`missed`). */
export interface FenceResult {
  readonly votes: readonly string[];
  readonly missed: readonly string[];
}

/**
 * The fence on a region's record: Lifeboat's metric, published as a vote in every control-plane
 * region, whose alarm-based health checks (children of the record's calculated check) turn the
 * record unhealthy once a majority votes `fenced`, so Route 53's data plane stops answering with the
 * region whatever its weight. Fails when too few vote regions took the vote to decide.
 */
export interface FencePort {
  setFence(app: ApplicationConfig, region: string, fenced: boolean): Promise<FenceResult>;
}

/**
 * Where a message goes in the channel: a reply in the thread of the message `ts` (a run's first
 * message), and with `broadcast` also shown in the channel (Slack's `thread_ts` and `reply_broadcast`).
 */
export interface SlackThread {
  readonly ts: string;
  readonly broadcast?: boolean;
}

/** The workflows that move the writer and the traffic: a failover, a failback, a switchover. */
export type MovingWorkflow = 'failover' | 'failback' | 'switchover';

/** What a run's incident event says has happened (the paging hook). */
export type IncidentPhase =
  'started' | 'restored' | 'succeeded' | 'declined' | 'rolled-back' | 'failed' | 'stopped' | 'timed-out';

/**
 * One incident update, the `detail` of a "Lifeboat Incident Update" event: what a pager shows
 * (`summary`, `severity`) and groups by (`dedupKey`, the same for every update of one run).
 */
export interface IncidentEvent {
  readonly application: string;
  readonly workflow: MovingWorkflow;
  readonly execution: string;
  readonly phase: IncidentPhase;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly sourceRegion?: string;
  readonly targetRegion?: string;
  /** The region the run runs in, whose event bus carries the event. */
  readonly region: string;
  /** One line of plain text. */
  readonly summary: string;
  readonly dedupKey: string;
  readonly at: string;
}

/** The paging hook: incident updates on the configured event bus. */
export interface PagerPort {
  page(event: IncidentEvent): Promise<void>;
}

/** Messages to the team's Slack channel. */
export interface NotifierPort {
  /** Posts a message (in a thread when given one); returns its timestamp id. */
  post(text: string, blocks?: readonly unknown[], thread?: SlackThread): Promise<string>;
  update(ts: string, text: string, blocks?: readonly unknown[]): Promise<void>;
  /** A message in the channel that only `user` sees (Slack's chat.postEphemeral): an answer to a press. */
  postEphemeral(user: string, text: string): Promise<void>;
}

/**
 * Lifeboat's own metrics for its dashboard and alarms. Best effort: a step never fails because a
 * metric could not be published (the callers swallow errors; see `bestEffort`).
 */
export interface TelemetryPort {
  /** The record weights just accepted, by region. */
  weights(app: ApplicationConfig, weights: Readonly<Record<string, number>>): Promise<void>;
  /** A finished failover's measured RTO. */
  rto(app: ApplicationConfig, rtoSeconds: number): Promise<void>;
  /** How long the oldest approval still waiting has waited, by workflow (0 when none waits). */
  approvalWait(oldestSeconds: Readonly<Record<string, number>>): Promise<void>;
}

/** Runs a telemetry call without letting its failure fail the step. */
export async function bestEffort(call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch {
    // A missing datapoint shows as a gap on the dashboard; the step's own work stands.
  }
}

/** Every port a step may use, as one bundle the handlers and the local runtime build. */
/** One invocation of a team's Lambda function: whether it succeeded, and what it said. */
export interface FunctionInvocation {
  readonly ok: boolean;
  /** Its answer (the payload it returned), cut to 500 characters. */
  readonly output: string;
  /** For a function error: its type and message. */
  readonly error?: string;
}

/** Where a Kubernetes Job stands. */
export interface JobStatus {
  readonly state: 'running' | 'succeeded' | 'failed' | 'missing';
  /** Its pods and conditions in words: `1 active`, `BackoffLimitExceeded: Job has reached the specified backoff limit`. */
  readonly detail: string;
}

/** The team's own steps (custom steps): a Lambda function invoked, or a Kubernetes Job run. */
export interface CustomStepsPort {
  /** Invokes the function (the ARN's region) and waits for its answer, at most `timeoutSeconds`. */
  invoke(
    functionArn: string,
    payload: Readonly<Record<string, unknown>>,
    timeoutSeconds: number,
  ): Promise<FunctionInvocation>;
  /** Creates the Job (named `name`) from the manifest; a Job of that name already there counts as created. */
  startJob(
    app: ApplicationConfig,
    region: string,
    namespace: string,
    name: string,
    job: Readonly<Record<string, unknown>>,
  ): Promise<void>;
  jobStatus(app: ApplicationConfig, region: string, namespace: string, name: string): Promise<JobStatus>;
  /** Deletes the Job and its pods; nothing when it is gone already. */
  deleteJob(app: ApplicationConfig, region: string, namespace: string, name: string): Promise<void>;
}

export interface Estate {
  readonly dns: DnsPort;
  readonly health: HealthPort;
  readonly database: DatabasePort;
  /** The stateful components besides the database (`stores` in the config). */
  readonly stores: StoresPort;
  readonly workloads: WorkloadsPort;
  readonly metrics: MetricsPort;
  readonly traffic: TrafficMetricsPort;
  readonly alarms: AlarmsPort;
  readonly probe: EndpointProbePort;
  readonly fence: FencePort;
  readonly notifier: NotifierPort;
  /** Incident events for the team's pager (`paging` in the config). */
  readonly pager: PagerPort;
  readonly backups: BackupsPort;
  readonly telemetry: TelemetryPort;
  /** The team's custom steps (docs/custom-steps.md). */
  readonly custom: CustomStepsPort;
}
