import { CustomStepsSim } from './CustomStepsSim.ts';
import type { ApplicationConfig, LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { databaseId } from '../../shared/config/databases.ts';
import { fenceVoteRegions, recordAnswered } from '../../shared/aws/CloudWatchFence.ts';
import { fenceAlarmName } from '../../shared/config/naming.ts';
import {
  DETECTION_REGION,
  EVENT_BUS_NAME,
  healthCheckAlarmName,
  probeAlarmName,
} from '../../shared/config/naming.ts';
import type { VirtualClock } from '../clock/VirtualClock.ts';
import { FaultRegistry, SimulatedServiceError } from './faults.ts';
import type { LatencyModel } from './LatencyModel.ts';
import { route53Answers, route53Shares } from './route53Answers.ts';
import { SimulatedSnapshots } from './Snapshots.ts';
import { StoresSim } from './StoresSim.ts';

export type HealthStatus = 'healthy' | 'unhealthy';
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
/** What a region's database is now: the report contract's values. */
export type DatabaseRole = 'writer' | 'replica' | 'standalone' | 'down';

/** One line of the world's timeline: what happened, when, where. */
export interface TimelineEntry {
  readonly at: number;
  readonly kind:
    | 'fault'
    | 'recover'
    | 'health-check'
    | 'alarm'
    | 'event-delivered'
    | 'event-dropped'
    | 'dns-change'
    | 'dns-insync'
    | 'database'
    | 'node-group'
    | 'deployment'
    | 'slack'
    | 'schedule'
    | 'execution'
    | 'page'
    | 'custom-step';
  readonly application?: string;
  readonly region?: string;
  readonly text: string;
}

/** An EventBridge "CloudWatch Alarm State Change" event as a control-plane bus receives it. */
export interface AlarmStateChangeEvent {
  readonly 'detail-type': 'CloudWatch Alarm State Change';
  readonly source: 'aws.cloudwatch';
  readonly region: string;
  readonly time: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly alarmName: string;
    readonly state: { readonly value: AlarmState; readonly reason: string; readonly timestamp: string };
    readonly previousState: { readonly value: AlarmState };
  };
}

export interface DeliveredEvent {
  readonly at: number;
  /** The control-plane region whose `lifeboat` bus received the event. */
  readonly busRegion: string;
  readonly application: string;
  readonly event: AlarmStateChangeEvent;
}

/** What changed, for observers such as the invariant checker. */
export type WorldChange =
  | {
      readonly type: 'weights';
      readonly application: string;
      readonly changeId: string;
      readonly before: Readonly<Record<string, number>>;
      readonly after: Readonly<Record<string, number>>;
      readonly force: boolean;
      /** The execution that asked for the change, when one did. */
      readonly by: string | undefined;
    }
  | {
      readonly type: 'promotion-started';
      readonly application: string;
      /** A store's promotion (`stores` in the config); absent for the database's. */
      readonly store?: string;
      readonly region: string;
      readonly sourceRegion: string | undefined;
      readonly sourceWritable: boolean;
      readonly lagSeconds: number;
      readonly planned: boolean;
      readonly by: string | undefined;
    }
  | {
      readonly type: 'promotion-completed';
      readonly application: string;
      readonly store?: string;
      readonly region: string;
      readonly sourceRegion: string | undefined;
      readonly planned: boolean;
    }
  | { readonly type: 'slack-decision'; readonly decision: SlackDecision }
  | { readonly type: 'state'; readonly application?: string };

/** A Slack button press as the callback endpoint judged it: what invariant 7 holds it to. */
export interface SlackDecision {
  readonly approvalId: string;
  readonly user: string;
  /** Whether the decision was acted on (sent to Step Functions). */
  readonly counted: boolean;
  readonly signatureValid: boolean;
  /** Seconds between the request's timestamp and the endpoint's clock, either way. */
  readonly timestampSkewSeconds: number;
  readonly userAllowed: boolean;
  /** Whether a decision for this approval had already been counted. */
  readonly duplicate: boolean;
}

/** A message only one person sees (chat.postEphemeral): not kept by Slack, not updatable. */
export interface SlackEphemeralMessage {
  readonly channel: string;
  readonly user: string;
  readonly text: string;
  readonly postedAt: number;
}

export interface SlackMessage {
  readonly ts: string;
  readonly channel: string;
  readonly postedAt: number;
  /** A reply: its thread's parent message, and whether it is shown in the channel too. */
  readonly thread?: { readonly ts: string; readonly broadcast: boolean };
  text: string;
  blocks: readonly unknown[];
  updatedAt: number | undefined;
}

interface HealthCheckSim {
  readonly region: string;
  readonly id: string;
  readonly intervalSeconds: number;
  readonly failureThreshold: number;
  status: HealthStatus;
  /** Consecutive probe results that disagree with `status`. */
  streak: number;
  /** Whether the status was unhealthy at any moment of the current alarm period. */
  unhealthyThisPeriod: boolean;
  /** When the status last turned unhealthy: HealthCheckStatus reads 0 from then on. */
  unhealthySince: number | undefined;
}

interface AlarmSim {
  readonly name: string;
  readonly region: string;
  state: AlarmState;
  updatedAt: number;
  /** In ALARM: the time of the earliest breaching datapoint the alarm evaluated. */
  breachingSince: number | undefined;
}

/** A control plane's probe of another region's endpoint, and the regional alarm on it. */
interface ProbeSim {
  readonly name: string;
  /** The region probed. */
  readonly target: string;
  /** The region that probes, where the alarm lives. */
  readonly from: string;
  state: AlarmState;
  updatedAt: number;
  failures: number;
  /** The time of the first failed probe of the current run of failures. */
  failingSince: number | undefined;
}

interface DnsChange {
  readonly id: string;
  readonly submittedAt: number;
  readonly weights: Readonly<Record<string, number>>;
  readonly force: boolean;
  readonly by: string | undefined;
  status: 'PENDING' | 'INSYNC';
}

/** EventBridge's default retry policy for a target it cannot reach (see `deliver`). */
/**
 * The HPA controller's sync period, kube-controller-manager's `--horizontal-pod-autoscaler-sync-period`
 * (15 s by default, https://kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/;
 * EKS allows 10–15 s). KEDA scales through an HPA it owns, so its ScaledObjects follow the same sync.
 */
const AUTOSCALER_SYNC_SECONDS = 15;
/** `behavior.scaleDown.stabilizationWindowSeconds`' default: 300 s. */
const AUTOSCALER_SCALE_DOWN_WINDOW_SECONDS = 300;
const EVENTBRIDGE_MAX_RETRIES = 185;
const EVENTBRIDGE_MAX_EVENT_AGE_SECONDS = 24 * 3600;
const EVENTBRIDGE_MAX_RETRY_INTERVAL_SECONDS = 480;

/** The security group a simulated database starts in: the application's own, which clients reach. */
export const APPLICATION_SECURITY_GROUP = 'sg-0a000000000000001';

interface DatabaseSim {
  readonly region: string;
  readonly identifier: string;
  role: 'writer' | 'replica' | 'standalone';
  sourceRegion: string | undefined;
  lagSeconds: number;
  promotingUntil: number | undefined;
  /** While a new replica is being built (CreateDBInstanceReadReplica), when it will be available. */
  creatingUntil?: number | undefined;
  /**
   * Aurora: while Aurora rebuilds this secondary from a new primary after a global failover (its
   * member's SynchronizationStatus `pending-resync`), when it reads again. It publishes no lag meanwhile.
   */
  resyncUntil?: number | undefined;
  /** Lag at the moment promotion began: the data the promotion left behind. */
  promotedWithLagSeconds: number | undefined;
  /** The instance's VPC security groups, and when the last change of them is active. */
  securityGroups: string[];
  securityGroupsActiveAt: number;
  /** While a reboot runs (RebootDBInstance), when the instance is available again. */
  rebootingUntil?: number | undefined;
  /** A `database-backup` fault: the instance is in its automated backup window (`backing-up`). */
  backingUp?: boolean;
  /** After an RDS promotion, until when the backup RDS takes of the new standalone instance runs. */
  backingUpUntil?: number | undefined;
  /**
   * Whether clients are cut off: the instance rebooted while in a quarantine group, so no connection
   * is open and none can be made. It then takes no client writes, writable or not.
   */
  isolated: boolean;
  /** While a replica's source sends nothing (its region is down, the link broke), since when: replay has stopped. */
  stalledSince?: number | undefined;
  /** A `replication-stall` fault: the link from the source is broken while the source goes on. */
  linkBroken?: boolean;
  /**
   * Seconds of writes the source took while this replica received nothing (the link broken, the
   * source still writing), up to `trackedAt`: data the replica lacks beyond its lag.
   */
  missedSeconds: number;
  sourceWriting: boolean;
  trackedAt: number;
  /**
   * What the replica's lag metric said from each instant on (the newest entry holds now): its lag
   * while streaming, the stall, and whether it publishes at all. The datapoints GetMetricData returns
   * are read from here. `sinceBefore`: the instance ran before the scenario began, so its first entry
   * also holds for the time before.
   */
  readonly lagLog: LagLogEntry[];
  readonly sinceBefore: boolean;
  /** CloudNativePG: the member's `Cluster` beyond its role (undefined for RDS and Aurora). */
  cnpg?: CnpgMemberSim;
}

/**
 * One member of a CloudNativePG distributed topology, as its `Cluster` resource holds it
 * (https://cloudnative-pg.io/documentation/current/replica_cluster/). Its name is the database's
 * `identifier`.
 */
interface CnpgMemberSim {
  readonly namespace: string;
  /** `spec.replica.primary`: the topology's primary by this member's own spec. */
  primary: string;
  /** `spec.replica.source`: whom it replicates from while a replica. */
  source: string;
  /** `spec.replica.promotionToken`. */
  promotionToken: string | undefined;
  /** `status.demotionToken`, written once a demotion has shut the primary down and archived its WAL. */
  demotionToken: string | undefined;
  /** `status.lastPromotionToken`. */
  lastPromotionToken: string | undefined;
  /** `status.timelineID`: a promotion starts a new timeline. */
  timeline: number;
  /** `cnpg.io/fencedInstances: ["*"]`: PostgreSQL stopped, data kept. */
  fenced: boolean;
  /** A demotion under way (`status.switchReplicaClusterStatus.inProgress`), until when. */
  switchingUntil: number | undefined;
  /** Primary by its spec with a token, replaying up to the token's LSN ("Promoting to primary cluster"). */
  awaitingToken: boolean;
  /** Why CloudNativePG gave up on it ("Cluster is unrecoverable and needs manual intervention"). */
  unrecoverable: string | undefined;
  /**
   * Re-pointed at a primary promoted from behind it: it had replayed writes of the lost primary the
   * new one never got, so it cannot follow the new timeline; nothing arrives until it is re-cloned.
   */
  diverged: boolean;
}

/** The CloudNativePG phases the rehearsal shows, word for word (api/v1/cluster_types.go). */
const CNPG_PHASE = {
  healthy: 'Cluster in healthy state',
  promoting: 'Promoting to primary cluster',
  creating: 'Creating a new replica',
  unrecoverable: 'Cluster is unrecoverable and needs manual intervention',
} as const;

interface LagLogEntry {
  readonly at: number;
  readonly lagSeconds: number;
  readonly stalledSince: number | undefined;
  readonly publishing: boolean;
}

interface NodeGroupSim {
  readonly name: string;
  desired: number;
  ready: number;
  min: number;
  max: number;
}

/**
 * An HPA, or a KEDA ScaledObject (which drives an HPA of its own), as the world runs it: every sync
 * it recommends the replicas the region's load needs, keeps a scale-down at the highest
 * recommendation of the last five minutes, and clamps the result to its bounds.
 */
interface AutoscalerSim {
  readonly kind: 'HorizontalPodAutoscaler' | 'ScaledObject';
  readonly name: string;
  min: number;
  max: number;
  paused: boolean;
  /** The replicas the application's whole load needs (the config's active size). */
  readonly fullLoadReplicas: number;
  /** Recent recommendations, for the scale-down stabilization window. */
  recommendations: { readonly at: number; readonly replicas: number }[];
}

interface DeploymentSim {
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  readonly autoscaler: AutoscalerSim | undefined;
  readonly minReady: number;
  desired: number;
  /** Bumped by every change of `desired`: the object's resourceVersion on the twin's API server. */
  generation: number;
  ready: number;
  /** Ready count each pending pod will bring, by the time it becomes ready. */
  pending: { readonly at: number; readonly count: number }[];
}

interface ClusterSim {
  readonly name: string;
  readonly nodeGroups: Map<string, NodeGroupSim>;
  readonly deployments: Map<string, DeploymentSim>;
  /** Pods one node holds, from the config's active sizes; undefined when no node group is configured. */
  readonly podsPerNode: number | undefined;
  maxReplicas: number | undefined;
  /**
   * How many times its active sizes the region needs to carry all the traffic: 1 but in an
   * active-active application, whose regions' active sizes carry their serving share.
   */
  readonly fullLoadFactor: number;
}

interface AppSim {
  readonly config: ApplicationConfig;
  readonly healthChecks: Map<string, HealthCheckSim>;
  readonly alarms: Map<string, AlarmSim>;
  readonly probes: ProbeSim[];
  /** Regions whose record is fenced: fewer than a quorum of its fence votes are open. */
  readonly fenced: Set<string>;
  /** Each record's fence votes: by record region, then vote region, whether that vote says fenced. */
  readonly fenceVotes: Map<string, Map<string, boolean>>;
  /** When each vote's alarm last took its state: record region, vote region, second. */
  readonly fenceVotedAt: Map<string, Map<string, number>>;
  readonly weights: Map<string, number>;
  readonly changes: Map<string, DnsChange>;
  readonly databases: Map<string, DatabaseSim>;
  readonly clusters: Map<string, ClusterSim>;
  answers: string[];
  writers: string[];
  serving: boolean;
}

export interface WorldOptions {
  readonly config: LifeboatConfig;
  readonly latency: LatencyModel;
  readonly clock: VirtualClock;
}

/**
 * The simulated estate: for every application, its regions' endpoints and Route 53 health checks,
 * the CloudWatch alarms on them and EventBridge delivery of their state changes, the weighted
 * records and their changes, the databases and their replication, the EKS clusters, the metrics
 * that follow from where traffic goes, and the Slack channel. Every API-like method checks the
 * fault registry first and fails as the AWS SDK would.
 */
export class World {
  readonly config: LifeboatConfig;
  readonly latency: LatencyModel;
  readonly clock: VirtualClock;
  readonly faults = new FaultRegistry();
  /** The teams' custom-step functions and Jobs. */
  readonly customSteps: CustomStepsSim;
  /** The applications' stores (ElastiCache Global Datastores), `stores` in the config. */
  readonly stores: StoresSim;
  readonly timeline: TimelineEntry[] = [];
  readonly delivered: DeliveredEvent[] = [];
  readonly dnsLog: { at: number; application: string; answers: string[] }[] = [];
  readonly writersLog: { at: number; application: string; regions: string[] }[] = [];
  readonly servingLog: { at: number; application: string; serving: boolean }[] = [];
  readonly slack: SlackMessage[] = [];
  /** Messages only one person saw (answers to presses), in order. */
  readonly ephemeral: SlackEphemeralMessage[] = [];
  /** RDS snapshots, their copies and restore tests (`Snapshots.ts`). */
  readonly snapshots: SimulatedSnapshots;
  private readonly apps = new Map<string, AppSim>();
  private readonly flaps = new Map<string, { start: number; period: number }>();
  /** Replica lag set by a fault, by region: replicas created there later start with it. */
  private readonly regionLag = new Map<string, number>();
  /** Extra 5xx percent a fault puts on a region's endpoints, by region. */
  private readonly errorFaults = new Map<string, number>();
  /** Every promotion as it began, with the lag it left behind (0 for a planned switchover). */
  readonly promotions: {
    application: string;
    region: string;
    at: number;
    lagSeconds: number;
    planned: boolean;
  }[] = [];
  /** Instances renamed out of a region's way (kept, no longer the application's database there). */
  readonly retired: { application: string; region: string; identifier: string; at: number }[] = [];
  /** Until when a renamed instance's old identifier is still taken, by application and region. */
  private readonly renaming = new Map<string, number>();
  private readonly eventListeners: ((delivered: DeliveredEvent) => void)[] = [];
  private readonly changeListeners: ((change: WorldChange) => void)[] = [];
  private changeSeq = 0;
  private slackSeq = 0;
  private started = false;

  constructor(options: WorldOptions) {
    this.config = options.config;
    this.latency = options.latency;
    this.clock = options.clock;
    for (const app of this.config.applications) this.apps.set(app.name, this.createApp(app));
    // The replicas' lag metrics from the first instant (the report samples before the clock starts).
    for (const app of this.apps.values()) this.trackReplication(app);
    this.snapshots = new SimulatedSnapshots({
      config: this.config,
      clock: this.clock,
      latency: this.latency,
      faults: this.faults,
      note: (application, region, text) => {
        this.note({ kind: 'database', application, region, text });
      },
    });
    this.stores = new StoresSim({
      clock: this.clock,
      latency: this.latency,
      faults: this.faults,
      applications: this.config.applications,
      note: (entry) => {
        this.note(entry);
      },
      changed: (application) => {
        this.emit({ type: 'state', application });
      },
      promoted: (p, completed) => {
        this.emit(
          completed
            ? {
                type: 'promotion-completed',
                application: p.application,
                store: p.store,
                region: p.region,
                sourceRegion: p.sourceRegion,
                planned: p.planned,
              }
            : { type: 'promotion-started', ...p },
        );
      },
    });
    this.customSteps = new CustomStepsSim({
      clock: this.clock,
      latency: this.latency,
      faults: this.faults,
      applications: this.config.applications,
      note: (entry) => {
        this.note(entry);
      },
    });
  }

  // ---------------------------------------------------------------- lifecycle and observers

  /** Starts the health checkers and alarm evaluations on the clock. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const app of this.apps.values()) {
      for (const check of app.healthChecks.values()) {
        this.clock.every(check.intervalSeconds, check.intervalSeconds, () => {
          this.probe(app, check);
        });
      }
      this.recompute(app);
    }
    this.clock.every(this.latency.alarmPeriodSeconds, this.latency.alarmPeriodSeconds, () => {
      this.evaluateAlarms();
    });
    for (const app of this.apps.values()) {
      const period = app.config.detection.probeIntervalSeconds;
      this.clock.every(period, period, () => {
        this.runProbes(app);
      });
    }
    for (const app of this.apps.values()) {
      const autoscaled = [...app.clusters.values()].some((c) =>
        [...c.deployments.values()].some((d) => d.autoscaler !== undefined),
      );
      if (!autoscaled) continue;
      this.clock.every(AUTOSCALER_SYNC_SECONDS, AUTOSCALER_SYNC_SECONDS, () => {
        this.syncAutoscalers(app);
      });
    }
  }

  onEvent(listener: (delivered: DeliveredEvent) => void): void {
    this.eventListeners.push(listener);
  }

  /**
   * Delivers an alarm state-change event to the `lifeboat` bus of each named region as EventBridge
   * would, whatever the alarm's own state: duplicates, stale or out-of-order events, a storm. The
   * trigger reads the alarms themselves before it acts, so such events can start nothing on their own.
   */
  deliverAlarmEvent(event: {
    readonly application: string;
    readonly alarmName: string;
    readonly alarmRegion: string;
    readonly state: AlarmState;
    readonly previous: AlarmState;
    readonly busRegions: readonly string[];
  }): void {
    this.deliver(
      this.app(event.application),
      event.alarmName,
      event.alarmRegion,
      event.state,
      event.previous,
      event.busRegions,
    );
  }

  onChange(listener: (change: WorldChange) => void): void {
    this.changeListeners.push(listener);
  }

  application(name: string): ApplicationConfig {
    return this.app(name).config;
  }

  // ---------------------------------------------------------------- faults

  setRegionOutage(region: string, down: boolean): void {
    this.faults.setOutage(region, down);
    this.stores.onOutage(region, down);
    this.note({
      kind: down ? 'fault' : 'recover',
      region,
      text: `region ${region} ${down ? 'is down' : 'is back'}`,
    });
    for (const app of this.apps.values()) {
      for (const db of app.databases.values()) {
        if (
          db.region === region &&
          !down &&
          app.config.database.engine === 'aurora-global' &&
          db.role === 'writer'
        ) {
          // An Aurora cluster that was failed away from rejoins as a secondary of the new primary, on
          // a new storage volume Aurora builds from it.
          const writer = [...app.databases.values()].find((d) => d.region !== region && d.role === 'writer');
          if (writer !== undefined) {
            db.role = 'replica';
            this.rebuildSecondary(app, db, writer.region, 'rejoined as a secondary of');
          }
        } else if (
          db.region === region &&
          !down &&
          app.config.database.engine === 'aurora-global' &&
          db.role === 'replica'
        ) {
          // A secondary that was down through a global failover is rebuilt from the new primary.
          const writer = [...app.databases.values()].find((d) => d.region !== region && d.role === 'writer');
          if (writer !== undefined && db.sourceRegion !== writer.region) {
            this.rebuildSecondary(app, db, writer.region, 'is being rebuilt as a secondary of');
          }
        }
      }
      this.recompute(app);
    }
  }

  setFlap(region: string, periodSeconds: number | undefined): void {
    if (periodSeconds === undefined) this.flaps.delete(region);
    else this.flaps.set(region, { start: this.clock.seconds, period: periodSeconds });
    this.note({
      kind: periodSeconds === undefined ? 'recover' : 'fault',
      region,
      text:
        periodSeconds === undefined
          ? `endpoints in ${region} stop flapping`
          : `endpoints in ${region} flap every ${periodSeconds} s`,
    });
    for (const app of this.apps.values()) this.recompute(app);
  }

  setReplicaLag(region: string, seconds: number): void {
    this.regionLag.set(region, seconds);
    for (const app of this.apps.values()) {
      const db = app.databases.get(region);
      if (db?.role === 'replica') db.lagSeconds = seconds;
      this.trackReplication(app);
    }
    this.note({ kind: 'fault', region, text: `replicas in ${region} lag ${seconds} s` });
    this.emit({ type: 'state' });
  }

  /**
   * A fault that breaks replication into the region's replicas while their sources go on writing (a
   * broken link between the regions): their replay stops, so their lag metric grows with the clock,
   * and every write the source takes meanwhile is one a promotion would lose. Recovering it lets
   * them catch up.
   */
  setReplicationStalled(region: string, stalled: boolean): void {
    for (const app of this.apps.values()) {
      const db = app.databases.get(region);
      if (db !== undefined) db.linkBroken = stalled;
      this.trackReplication(app);
    }
    this.note({
      kind: stalled ? 'fault' : 'recover',
      region,
      text: stalled
        ? `replication into ${region} stops while its sources go on writing`
        : `replication into ${region} resumes`,
    });
    this.emit({ type: 'state' });
  }

  /**
   * The source's writes the replica lacks now: its lag when replication stopped (or now) plus what
   * the source wrote while the replica received nothing. What a promotion now would lose.
   */
  private unreplicatedSeconds(app: AppSim, db: DatabaseSim): number {
    this.trackReplication(app);
    return db.lagSeconds + db.missedSeconds;
  }

  /** A fault that makes the region's endpoints answer `percent` of requests with 5xx (still passing health checks). */
  setErrorRate(region: string, percent: number | undefined): void {
    if (percent === undefined) this.errorFaults.delete(region);
    else this.errorFaults.set(region, percent);
    this.note({
      kind: percent === undefined ? 'recover' : 'fault',
      region,
      text:
        percent === undefined
          ? `endpoints in ${region} answer normally again`
          : `endpoints in ${region} answer ${percent} % of requests with errors`,
    });
    this.emit({ type: 'state' });
  }

  setCapacityShortfall(region: string, maxReplicas: number | undefined): void {
    for (const app of this.apps.values()) {
      const cluster = app.clusters.get(region);
      if (cluster === undefined) continue;
      cluster.maxReplicas = maxReplicas;
      this.reconcile(app, region);
    }
    this.note({
      kind: maxReplicas === undefined ? 'recover' : 'fault',
      region,
      text:
        maxReplicas === undefined
          ? `capacity in ${region} restored`
          : `capacity in ${region} limited to ${maxReplicas} replicas per deployment`,
    });
  }

  // ---------------------------------------------------------------- health and detection

  /** Whether the application's endpoint in the region answers its health check now. */
  endpointUp(application: string, region: string): boolean {
    return this.endpointServes(this.app(application), region);
  }

  /** The id of the Route 53 health check of the application's endpoint in the region. */
  healthCheckId(application: string, region: string): string {
    const check = this.app(application).healthChecks.get(region);
    if (check === undefined) throw new Error(`${application} has no health check in ${region}`);
    return check.id;
  }

  /** Route 53 GetHealthCheckStatus, aggregated over its checkers. */
  getHealthCheckStatus(application: string, region: string): HealthStatus {
    this.faults.check('route53', 'GetHealthCheckStatus', DETECTION_REGION);
    return this.healthStatus(application, region);
  }

  /** The health check's status without going through the API (what Route 53's data plane uses). */
  healthStatus(application: string, region: string): HealthStatus {
    const check = this.app(application).healthChecks.get(region);
    if (check === undefined) throw new Error(`${application} has no health check in ${region}`);
    return check.status;
  }

  alarmState(application: string, region: string): AlarmState {
    return this.app(application).alarms.get(region)?.state ?? 'INSUFFICIENT_DATA';
  }

  /**
   * CloudWatch DescribeAlarms for one alarm in its region: its state, when it last changed and, in
   * ALARM, the time of the earliest breaching datapoint it evaluated (what its StateReasonData's
   * evaluatedDatapoints carry).
   */
  describeAlarm(
    alarmName: string,
    region: string,
  ): { state: AlarmState; updatedAt: number; breachingSince: number | undefined } {
    this.faults.check('cloudwatch', 'DescribeAlarms', region);
    for (const app of this.apps.values()) {
      for (const alarm of app.alarms.values()) {
        if (alarm.name === alarmName && region === DETECTION_REGION)
          return {
            state: alarm.state,
            updatedAt: alarm.updatedAt,
            breachingSince: alarm.state === 'ALARM' ? alarm.breachingSince : undefined,
          };
      }
      const probe = app.probes.find((p) => p.name === alarmName && p.from === region);
      if (probe !== undefined)
        return {
          state: probe.state,
          updatedAt: probe.updatedAt,
          breachingSince: probe.state === 'ALARM' ? probe.failingSince : undefined,
        };
      // A fence vote's alarm (in its vote region): ALARM while the vote says fenced, OK once a vote
      // 0 was taken, INSUFFICIENT_DATA before any vote (it ignores missing data).
      for (const record of app.config.regions) {
        if (
          fenceAlarmName(app.config.name, record, region) !== alarmName ||
          !fenceVoteRegions(this.config, app.config, record).includes(region)
        )
          continue;
        const vote = app.fenceVotes.get(record)?.get(region);
        const at = app.fenceVotedAt.get(record)?.get(region) ?? 0;
        return {
          state: vote === undefined ? 'INSUFFICIENT_DATA' : vote ? 'ALARM' : 'OK',
          updatedAt: at,
          breachingSince: vote === true ? at : undefined,
        };
      }
    }
    throw new SimulatedServiceError('ResourceNotFound', `no alarm ${alarmName} in ${region}`, 404);
  }

  /**
   * Publishes a fence vote for a region's record in `voteRegion` (Lifeboat's metric there). The
   * vote's alarm, and the CLOUDWATCH_METRIC health check on it, follow one metric period later; the
   * record is fenced while fewer than a quorum of its votes are open (`recordAnswered`), so Route
   * 53's data plane stops answering with it whatever its weight and its endpoint say. A vote region
   * that is down takes no vote and keeps its last one (the checks use `LastKnownStatus`).
   */
  publishFenceVote(application: string, region: string, fenced: boolean, voteRegion: string): void {
    this.faults.check('cloudwatch', 'PutMetricData', voteRegion);
    const app = this.app(application);
    const voters = fenceVoteRegions(this.config, app.config, region);
    if (!voters.includes(voteRegion)) {
      throw new SimulatedServiceError(
        'ResourceNotFound',
        `no fence alarm for ${application} in ${region} in ${voteRegion}: that record's fence votes live in ${voters.join(', ')}`,
        404,
      );
    }
    this.clock.schedule(this.clock.seconds + this.latency.fenceAlarmPeriodSeconds, () => {
      let votes = app.fenceVotes.get(region);
      if (votes === undefined) {
        votes = new Map();
        app.fenceVotes.set(region, votes);
      }
      votes.set(voteRegion, fenced);
      let times = app.fenceVotedAt.get(region);
      if (times === undefined) {
        times = new Map();
        app.fenceVotedAt.set(region, times);
      }
      times.set(voteRegion, this.clock.seconds);
      const now = this.recordFenced(app, region);
      if (now === app.fenced.has(region)) return;
      if (now) app.fenced.add(region);
      else app.fenced.delete(region);
      this.note({
        kind: 'dns-change',
        application,
        region,
        text: `record of ${region} ${now ? 'fenced' : 'unfenced'} (${this.describeVotes(app, region)})`,
      });
      this.recompute(app);
    });
  }

  /** Whether the record's fence votes keep it out of the answers, its endpoint aside. */
  private recordFenced(app: AppSim, region: string): boolean {
    const votes = app.fenceVotes.get(region);
    const voters = fenceVoteRegions(this.config, app.config, region);
    return !recordAnswered(
      true,
      voters.map((v) => votes?.get(v) ?? false),
      app.config.healthChecks[region]?.kind !== 'existing',
    );
  }

  private describeVotes(app: AppSim, region: string): string {
    const votes = app.fenceVotes.get(region);
    const voters = fenceVoteRegions(this.config, app.config, region);
    const fencedBy = voters.filter((v) => votes?.get(v) === true);
    const open = voters.length - fencedBy.length;
    return `${open} of ${voters.length} fence votes open${fencedBy.length === 0 ? '' : `; fenced by ${fencedBy.join(', ')}`}`;
  }

  /** The region's fence votes: vote region to whether it says fenced (never published: open). */
  fenceVotes(application: string, region: string): Record<string, boolean> {
    const app = this.app(application);
    const votes = app.fenceVotes.get(region);
    return Object.fromEntries(
      fenceVoteRegions(this.config, app.config, region).map((v) => [v, votes?.get(v) ?? false]),
    );
  }

  isFenced(application: string, region: string): boolean {
    return this.app(application).fenced.has(region);
  }

  // ---------------------------------------------------------------- DNS

  /** The applied weights of the application's records (ListResourceRecordSets). */
  getWeights(application: string): Record<string, number> {
    this.faults.check('route53', 'ListResourceRecordSets', DETECTION_REGION);
    return this.weights(application);
  }

  weights(application: string): Record<string, number> {
    return Object.fromEntries(this.app(application).weights);
  }

  /**
   * ChangeResourceRecordSets for the application's weighted records: validated at once, applied
   * when the change reaches INSYNC. Returns the change id.
   */
  changeWeights(
    application: string,
    weights: Readonly<Record<string, number>>,
    options: { force?: boolean; by?: string } = {},
  ): string {
    this.faults.check('route53', 'ChangeResourceRecordSets', DETECTION_REGION);
    const app = this.app(application);
    for (const [region, weight] of Object.entries(weights)) {
      if (!app.weights.has(region)) {
        throw new SimulatedServiceError(
          'InvalidChangeBatch',
          `${application} has no record for ${region}`,
          400,
        );
      }
      if (!Number.isInteger(weight) || weight < 0 || weight > 255) {
        throw new SimulatedServiceError(
          'InvalidInput',
          `weight ${weight} for ${region} is not an integer from 0 to 255`,
          400,
        );
      }
    }
    const id = `C${String(++this.changeSeq).padStart(6, '0')}SIM`;
    const change: DnsChange = {
      id,
      submittedAt: this.clock.seconds,
      weights: { ...weights },
      force: options.force === true,
      by: options.by,
      status: 'PENDING',
    };
    app.changes.set(id, change);
    this.note({ kind: 'dns-change', application, text: `change ${id} submitted: ${formatWeights(weights)}` });
    this.clock.schedule(this.clock.seconds + this.latency.route53InsyncSeconds, () => {
      const before = Object.fromEntries(app.weights);
      for (const [region, weight] of Object.entries(change.weights)) app.weights.set(region, weight);
      change.status = 'INSYNC';
      this.note({
        kind: 'dns-insync',
        application,
        text: `change ${id} INSYNC: ${formatWeights(Object.fromEntries(app.weights))}`,
      });
      this.emit({
        type: 'weights',
        application,
        changeId: id,
        before,
        after: Object.fromEntries(app.weights),
        force: change.force,
        by: change.by,
      });
      this.recompute(app);
    });
    return id;
  }

  /** Route 53 GetChange. */
  getChange(changeId: string): 'PENDING' | 'INSYNC' {
    this.faults.check('route53', 'GetChange', DETECTION_REGION);
    for (const app of this.apps.values()) {
      const change = app.changes.get(changeId);
      if (change !== undefined) return change.status;
    }
    throw new SimulatedServiceError('NoSuchChange', `no change with id ${changeId}`, 404);
  }

  /** The regions a client's DNS query can be answered with now. */
  answers(application: string): string[] {
    return [...this.app(application).answers];
  }

  /** Each answered region's share of queries. */
  trafficShares(application: string): Map<string, number> {
    const app = this.app(application);
    return route53Shares(
      app.config.regions.map((region) => ({
        region,
        weight: app.weights.get(region) ?? 0,
        healthy: this.recordHealthy(app, region),
      })),
    );
  }

  // ---------------------------------------------------------------- databases

  describeDatabase(
    application: string,
    region: string,
  ): {
    role: DatabaseRole;
    status: 'available' | 'modifying' | 'creating' | 'rebooting' | 'backing-up';
    /** Aurora: the member's SynchronizationStatus, `pending-resync` while Aurora rebuilds it. */
    synchronization: 'connected' | 'pending-resync';
    lagSeconds: number;
    sourceRegion: string | undefined;
    identifier: string;
  } {
    this.faults.check('rds', 'DescribeDBInstances', region);
    const db = this.database(application, region);
    return {
      role: db.role,
      status:
        db.creatingUntil !== undefined
          ? 'creating'
          : db.rebootingUntil !== undefined
            ? 'rebooting'
            : db.promotingUntil !== undefined
              ? 'modifying'
              : this.backingUp(db)
                ? 'backing-up'
                : 'available',
      synchronization: db.resyncUntil === undefined ? 'connected' : 'pending-resync',
      lagSeconds: db.lagSeconds,
      sourceRegion: db.sourceRegion,
      identifier: db.identifier,
    };
  }

  /**
   * The region's database as its own region's RDS knows it, without asking the API (another
   * region's call reports it, as a replica's source or its replicas): undefined when there is none.
   */
  inspectDatabase(
    application: string,
    region: string,
  ):
    | { identifier: string; role: 'writer' | 'replica' | 'standalone'; sourceRegion: string | undefined }
    | undefined {
    const db = this.app(application).databases.get(region);
    return db === undefined
      ? undefined
      : { identifier: db.identifier, role: db.role, sourceRegion: db.sourceRegion };
  }

  /** Aurora: the member's SynchronizationStatus as the global cluster reports it (no API fault applies). */
  synchronization(application: string, region: string): 'connected' | 'pending-resync' {
    return this.app(application).databases.get(region)?.resyncUntil === undefined
      ? 'connected'
      : 'pending-resync';
  }

  /** The database's role as the report shows it, `down` while its region is out. */
  databaseRole(application: string, region: string): DatabaseRole {
    if (this.faults.isOutage(region)) return 'down';
    // Between a rename and its replacement's creation the region has no database of the application.
    return this.app(application).databases.get(region)?.role ?? 'down';
  }

  /**
   * The replica's lag metric now, as RDS would publish it (undefined: no datapoint). RDS for
   * PostgreSQL's `ReplicaLag` is `now() - pg_last_xact_replay_timestamp()`
   * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.Monitor.html),
   * so while the source sends nothing it grows with the clock from the lag the replica had; Aurora's
   * `AuroraGlobalDBReplicationLag` is not documented for a primary Region that is down, and is
   * modelled as published no more (the lag gate treats a stopped metric as it treats a growing one).
   */
  replicaLagSeconds(application: string, region: string): number | undefined {
    const db = this.app(application).databases.get(region);
    return db === undefined ? undefined : lagAt(db, this.clock.seconds);
  }

  /**
   * The replica's lag datapoints as CloudWatch's GetMetricData gives them for a `Maximum` over
   * `periodSeconds` (RDS samples once a minute): one per period start in [from, to] up to now, newest
   * first, none where the instance published nothing.
   */
  replicaLagSeries(
    application: string,
    region: string,
    fromSeconds: number,
    toSeconds: number,
    periodSeconds: number,
  ): { at: number; seconds: number }[] {
    const db = this.app(application).databases.get(region);
    if (db === undefined) return [];
    const points: { at: number; seconds: number }[] = [];
    const last = Math.min(toSeconds, this.clock.seconds);
    for (let at = Math.floor(last / periodSeconds) * periodSeconds; at >= fromSeconds; at -= periodSeconds) {
      const seconds = lagAt(db, at);
      if (seconds !== undefined) points.push({ at, seconds });
    }
    return points;
  }

  /**
   * Promotes the region's replica to a writer: RDS PromoteReadReplica or, for Aurora, a global
   * cluster failover to it. A database already promoted (or promoting) is left as it is.
   * `planned` marks a switchover (no data loss, source drained), which invariant 3 allows.
   */
  promoteDatabase(
    application: string,
    region: string,
    options: { planned?: boolean; by?: string } = {},
  ): 'started' | 'already-promoted' {
    const app = this.app(application);
    const aurora = app.config.database.engine === 'aurora-global';
    // A CloudNativePG promotion is a patch of the Cluster, whose faults its API call met already.
    const cnpg = app.config.database.engine === 'cloudnativepg';
    if (!cnpg)
      this.faults.check(
        'rds',
        aurora
          ? options.planned === true
            ? 'SwitchoverGlobalCluster'
            : 'FailoverGlobalCluster'
          : 'PromoteReadReplica',
        region,
      );
    const db = this.database(application, region);
    if (db.role !== 'replica' || db.promotingUntil !== undefined) return 'already-promoted';
    if (!aurora && db.backingUp === true) {
      // "a read replica cannot be promoted to a standalone instance when it is in the backing-up
      // status" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html)
      throw new SimulatedServiceError(
        'InvalidDBInstanceStateFault',
        `DB instance ${db.identifier} is backing-up; a read replica cannot be promoted while it is backing up`,
        400,
      );
    }
    if (db.creatingUntil !== undefined) {
      throw new SimulatedServiceError(
        'InvalidDBInstanceStateFault',
        `${db.identifier} is still being created`,
        400,
      );
    }
    const source = db.sourceRegion === undefined ? undefined : app.databases.get(db.sourceRegion);
    const sourceWritable = source !== undefined && app.writers.includes(source.region);
    const behind = this.unreplicatedSeconds(app, db);
    this.emit({
      type: 'promotion-started',
      application,
      region,
      sourceRegion: db.sourceRegion,
      sourceWritable,
      lagSeconds: behind,
      planned: options.planned === true,
      by: options.by,
    });
    db.promotedWithLagSeconds = options.planned === true ? 0 : behind;
    this.promotions.push({
      application,
      region,
      at: this.clock.seconds,
      lagSeconds: db.promotedWithLagSeconds,
      planned: options.planned === true,
    });
    const seconds = aurora
      ? this.latency.auroraFailoverSeconds
      : cnpg
        ? this.latency.cnpgPromoteSeconds
        : this.latency.rdsPromoteSeconds;
    db.promotingUntil = this.clock.seconds + seconds;
    this.note({
      kind: 'database',
      application,
      region,
      text: `${aurora ? 'Aurora failover to' : cnpg ? 'promotion of CloudNativePG cluster' : 'promotion of'} ${db.identifier} started (lag ${Math.round(behind)} s)`,
    });
    this.clock.schedule(db.promotingUntil, () => {
      db.promotingUntil = undefined;
      db.role = aurora || cnpg ? 'writer' : 'standalone';
      if (db.cnpg !== undefined) {
        // The designated primary promotes onto a new timeline; a token it was promoted with is kept
        // so that it is never applied twice.
        db.cnpg.timeline += 1;
        db.cnpg.awaitingToken = false;
        // CloudNativePG clears a demotion token once the member is a primary again.
        db.cnpg.demotionToken = undefined;
        if (db.cnpg.promotionToken !== undefined) db.cnpg.lastPromotionToken = db.cnpg.promotionToken;
      }
      const sourceRegion = db.sourceRegion;
      db.sourceRegion = undefined;
      db.lagSeconds = 0;
      if (aurora) {
        // The global cluster has one writer: the old primary steps down if it can be reached. A
        // switchover keeps the topology, every secondary synchronized with the new primary before it
        // began ("maintaining the original replication topology",
        // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_SwitchoverGlobalCluster.html).
        // A failover with data loss allowed rebuilds the others from the new primary: "After Aurora
        // promotes the new primary cluster, it automatically rebuilds all additional secondary Region
        // clusters" (aurora-global-database-disaster-recovery.html); one whose region is down, and the
        // old primary, are rebuilt once their region is back (setRegionOutage).
        for (const other of app.databases.values()) {
          if (other === db || this.faults.isOutage(other.region)) continue;
          if (other.role === 'writer') other.role = 'replica';
          if (other.role !== 'replica') continue;
          if (options.planned === true) other.sourceRegion = region;
          else this.rebuildSecondary(app, other, region, 'is being rebuilt as a secondary of');
        }
      }
      if (!aurora && !cnpg && this.latency.rdsPostPromotionBackupSeconds > 0) {
        // With backups on (PromoteReadReplica's BackupRetentionPeriod defaults to 1 day) RDS backs the
        // new standalone instance up once promoted: "Once the instance is promoted to a primary
        // instance, backups are taken based on your backup settings"; its status reads `backing-up`
        // meanwhile while it takes writes ("The DB instance is currently being backed up",
        // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html).
        db.backingUpUntil = this.clock.seconds + this.latency.rdsPostPromotionBackupSeconds;
      }
      this.note({ kind: 'database', application, region, text: `${db.identifier} now accepts writes` });
      this.emit({
        type: 'promotion-completed',
        application,
        region,
        sourceRegion,
        planned: options.planned === true,
      });
      this.recompute(app);
    });
    this.recompute(app);
    return 'started';
  }

  /**
   * Aurora rebuilds a secondary from the primary in `writerRegion`: it holds the primary's data at
   * once (lag 0) but reads, and publishes its lag, only after `auroraSecondaryRebuildSeconds`.
   */
  private rebuildSecondary(app: AppSim, db: DatabaseSim, writerRegion: string, what: string): void {
    this.trackReplication(app);
    replicateAfresh(db, writerRegion, 0);
    const until = this.clock.seconds + this.latency.auroraSecondaryRebuildSeconds;
    db.resyncUntil = until;
    this.note({
      kind: 'database',
      application: app.config.name,
      region: db.region,
      text: `Aurora cluster ${db.identifier} ${what} ${writerRegion}`,
    });
    this.clock.schedule(until, () => {
      if (db.resyncUntil !== until) return;
      db.resyncUntil = undefined;
      this.note({
        kind: 'database',
        application: app.config.name,
        region: db.region,
        text: `Aurora cluster ${db.identifier} rebuilt: it replicates from ${String(db.sourceRegion)}`,
      });
      this.recompute(app);
    });
  }

  /**
   * RDS ModifyDBInstance VpcSecurityGroupIds: the instance's groups become `securityGroups` once the
   * change is applied (asynchronously, `rdsSecurityGroupApplySeconds`). A group with no inbound rule
   * refuses new connections from then on; open ones survive until a reboot (`rebootDatabase`).
   */
  setDatabaseSecurityGroups(application: string, region: string, securityGroups: readonly string[]): void {
    this.faults.check('rds', 'ModifyDBInstance', region);
    const db = this.database(application, region);
    this.requireAvailable(db);
    db.securityGroups = [...securityGroups];
    db.securityGroupsActiveAt = this.clock.seconds + this.latency.rdsSecurityGroupApplySeconds;
    db.isolated = false;
    this.note({
      kind: 'database',
      application,
      region,
      text: `${db.identifier} moved to security group ${securityGroups.join(', ')}`,
    });
  }

  /** RDS RebootDBInstance: a momentary outage that ends every open connection. */
  rebootDatabase(application: string, region: string): void {
    this.faults.check('rds', 'RebootDBInstance', region);
    const app = this.app(application);
    const db = this.database(application, region);
    this.requireAvailable(db);
    db.rebootingUntil = this.clock.seconds + this.latency.rdsRebootSeconds;
    const quarantined = this.isQuarantine(app, region, db) && db.securityGroupsActiveAt <= this.clock.seconds;
    this.note({ kind: 'database', application, region, text: `${db.identifier} rebooting` });
    this.clock.schedule(db.rebootingUntil, () => {
      db.rebootingUntil = undefined;
      if (quarantined && this.isQuarantine(app, region, db)) db.isolated = true;
      this.note({
        kind: 'database',
        application,
        region,
        text: `${db.identifier} rebooted${db.isolated ? ': quarantined, no client connection is open or can be made' : ''}`,
      });
      this.recompute(app);
    });
    this.recompute(app);
  }

  /** The instance's groups are exactly the configured quarantine group of its region. */
  private isQuarantine(app: AppSim, region: string, db: DatabaseSim): boolean {
    const database = app.config.database;
    const quarantine =
      database.engine === 'rds-read-replica' ? database.quarantineSecurityGroupIds?.[region] : undefined;
    return quarantine !== undefined && db.securityGroups.length === 1 && db.securityGroups[0] === quarantine;
  }

  private backingUp(db: DatabaseSim): boolean {
    return db.backingUp === true || (db.backingUpUntil ?? 0) > this.clock.seconds;
  }

  /**
   * The `database-backup` fault: the region's instances are in their automated backup window, their
   * status `backing-up`, until it is recovered. A read replica refuses promotion meanwhile.
   */
  setDatabaseBackup(region: string, on: boolean): void {
    for (const app of this.apps.values()) {
      const db = app.databases.get(region);
      if (db !== undefined) db.backingUp = on;
    }
    this.note({
      kind: on ? 'fault' : 'recover',
      region,
      text: on
        ? `the databases in ${region} are backing up`
        : `the databases in ${region} finished their backup`,
    });
    this.emit({ type: 'state' });
  }

  private requireAvailable(db: DatabaseSim): void {
    if (
      db.creatingUntil !== undefined ||
      db.promotingUntil !== undefined ||
      db.rebootingUntil !== undefined
    ) {
      throw new SimulatedServiceError(
        'InvalidDBInstanceStateFault',
        `${db.identifier} is not available`,
        400,
      );
    }
  }

  /** The instance's security groups, each `active` or `adding` while the change is applied. */
  databaseSecurityGroups(application: string, region: string): { id: string; status: 'active' | 'adding' }[] {
    const db = this.database(application, region);
    const status = db.securityGroupsActiveAt <= this.clock.seconds ? 'active' : 'adding';
    return db.securityGroups.map((id) => ({ id, status }));
  }

  /**
   * RDS ModifyDBInstance with NewDBInstanceIdentifier, applied immediately: the region's instance is
   * kept under `newIdentifier` and stops being the application's database there; its old name is
   * free once the rename has been applied.
   */
  retireDatabase(application: string, region: string, newIdentifier: string): void {
    this.faults.check('rds', 'ModifyDBInstance', region);
    const app = this.app(application);
    const db = this.database(application, region);
    if (db.creatingUntil !== undefined || db.promotingUntil !== undefined) {
      throw new SimulatedServiceError(
        'InvalidDBInstanceStateFault',
        `${db.identifier} is not available`,
        400,
      );
    }
    app.databases.delete(region);
    this.renaming.set(`${application}/${region}`, this.clock.seconds + this.latency.rdsRenameSeconds);
    this.retired.push({ application, region, identifier: newIdentifier, at: this.clock.seconds });
    this.note({
      kind: 'database',
      application,
      region,
      text: `${db.identifier} (${db.role}) renamed to ${newIdentifier} and kept`,
    });
    this.recompute(app);
  }

  /** RDS CreateDBInstanceReadReplica in `region` of the writer in `sourceRegion`, named as configured. */
  createReadReplica(application: string, region: string, sourceRegion: string): void {
    this.faults.check('rds', 'CreateDBInstanceReadReplica', region);
    const app = this.app(application);
    const source = this.database(application, sourceRegion);
    if (
      app.databases.has(region) ||
      (this.renaming.get(`${application}/${region}`) ?? 0) > this.clock.seconds
    ) {
      throw new SimulatedServiceError(
        'DBInstanceAlreadyExistsFault',
        `${application} already has a database in ${region}`,
        400,
      );
    }
    if (source.role === 'replica') {
      throw new SimulatedServiceError(
        'InvalidDBInstanceStateFault',
        `${source.identifier} in ${sourceRegion} is a replica; replicate from the writer`,
        400,
      );
    }
    const identifier =
      app.config.database.engine === 'rds-read-replica'
        ? (app.config.database.instances[region] ?? `${application}-${region}`)
        : `${application}-${region}`;
    const db: DatabaseSim = {
      region,
      identifier,
      role: 'replica',
      sourceRegion,
      lagSeconds: this.regionLag.get(region) ?? 0,
      promotingUntil: undefined,
      creatingUntil: this.clock.seconds + this.latency.rdsReplicaCreateSeconds,
      promotedWithLagSeconds: undefined,
      securityGroups: [
        ...((app.config.database.engine === 'rds-read-replica'
          ? app.config.database.replicas?.[region]?.vpcSecurityGroupIds
          : undefined) ?? [APPLICATION_SECURITY_GROUP]),
      ],
      securityGroupsActiveAt: 0,
      isolated: false,
      lagLog: [],
      sinceBefore: false,
      missedSeconds: 0,
      sourceWriting: true,
      trackedAt: this.clock.seconds,
    };
    app.databases.set(region, db);
    this.note({
      kind: 'database',
      application,
      region,
      text: `read replica ${identifier} of ${source.identifier} (${sourceRegion}) being created`,
    });
    const startedAt = this.clock.seconds;
    this.clock.schedule(db.creatingUntil ?? this.clock.seconds, () => {
      db.creatingUntil = undefined;
      // The replica is built from a snapshot of the source ("A snapshot is taken of the source DB
      // instance, and this snapshot is used to create the read replica",
      // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.Configuration.html),
      // copied across Regions, then fed the WAL written since: once available it trails its source by
      // the time since the snapshot, and catches up over `rdsReplicaCatchUpSeconds`.
      const baseline = this.regionLag.get(region) ?? 0;
      const catchUp = this.latency.rdsReplicaCatchUpSeconds;
      if (catchUp > 0 && db.role === 'replica') {
        const backlog = Math.max(baseline, this.clock.seconds - startedAt);
        db.lagSeconds = backlog;
        this.trackReplication(app);
        this.clock.schedule(this.clock.seconds + catchUp, () => {
          if (db.role !== 'replica' || db.lagSeconds !== backlog) return;
          db.lagSeconds = this.regionLag.get(region) ?? 0;
          this.trackReplication(app);
          this.note({ kind: 'database', application, region, text: `read replica ${identifier} caught up` });
          this.recompute(app);
        });
      }
      this.note({
        kind: 'database',
        application,
        region,
        text: `read replica ${identifier} is available${catchUp > 0 ? ` (lag ${Math.round(db.lagSeconds)} s, catching up)` : ''}`,
      });
      this.recompute(app);
    });
    this.recompute(app);
  }

  // ---------------------------------------------------------------- CloudNativePG

  /**
   * CloudNativePG: the region's `Cluster` (`postgresql.cnpg.io/v1`) as the API server returns it, or
   * undefined when the application's database is not CloudNativePG's. Field names follow
   * CloudNativePG's API reference (https://cloudnative-pg.io/documentation/current/cloudnative-pg.v1/).
   */
  cnpgCluster(application: string, region: string): Record<string, unknown> | undefined {
    const app = this.app(application);
    const db = app.databases.get(region);
    const member = db?.cnpg;
    if (db === undefined || member === undefined) return undefined;
    const ready = this.cnpgReady(db, member);
    const phase =
      member.unrecoverable !== undefined
        ? CNPG_PHASE.unrecoverable
        : member.awaitingToken
          ? CNPG_PHASE.promoting
          : db.creatingUntil !== undefined
            ? CNPG_PHASE.creating
            : CNPG_PHASE.healthy;
    const pod = `${db.identifier}-1`;
    return {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: {
        name: db.identifier,
        namespace: member.namespace,
        ...(member.fenced ? { annotations: { 'cnpg.io/fencedInstances': '["*"]' } } : {}),
      },
      spec: {
        instances: 3,
        replica: {
          primary: member.primary,
          source: member.source,
          ...(member.promotionToken === undefined ? {} : { promotionToken: member.promotionToken }),
        },
        externalClusters: this.cnpgNames(app).map((name) => ({ name })),
      },
      status: {
        phase,
        ...(member.unrecoverable === undefined ? {} : { phaseReason: member.unrecoverable }),
        currentPrimary: pod,
        targetPrimary: pod,
        // What the instance reports: out of recovery once promoted (its role by the world), whatever
        // the phase, which a promotion without a token leaves as it was.
        instancesReportedState: {
          [pod]: {
            isPrimary: db.role === 'writer' && member.switchingUntil === undefined,
            timeLineID: member.timeline,
          },
        },
        timelineID: member.timeline,
        systemID: cnpgSystemId(application),
        ...(member.demotionToken === undefined ? {} : { demotionToken: member.demotionToken }),
        ...(member.lastPromotionToken === undefined ? {} : { lastPromotionToken: member.lastPromotionToken }),
        switchReplicaClusterStatus: { inProgress: member.switchingUntil !== undefined },
        conditions: [
          {
            type: 'Ready',
            status: ready ? 'True' : 'False',
            reason: ready ? 'ClusterIsReady' : 'ClusterIsNotReady',
          },
        ],
      },
    };
  }

  /**
   * CloudNativePG: a JSON merge patch of the region's `Cluster`, checked as CloudNativePG's webhook
   * checks it (the names in `spec.replica` must be the topology's, `enabled` cannot be set with
   * `primary`, a token only on a member that is primary by its spec, no role change while a switch
   * is in progress), then acted on as the operator does:
   * - a replica named primary without a token is promoted at once (a failover: the lag is lost);
   * - with a token, it first replays up to the token's LSN, then promotes (nothing is lost); a token
   *   of another system or an older timeline makes it unrecoverable;
   * - a primary named replica is demoted: it stops taking writes at once, and writes
   *   `status.demotionToken` once shut down, then replicates from its `source`;
   * - a replica given another source follows it, unless it had replayed past the point the source was
   *   promoted from (it then receives nothing until re-cloned);
   * - `cnpg.io/fencedInstances` fences or unfences every instance.
   * Only `spec.replica` and that annotation are modelled; any other change is refused, named.
   * Throws a SimulatedServiceError named `Invalid` (HTTP 422) for what the webhook refuses.
   */
  patchCnpgCluster(
    application: string,
    region: string,
    patch: unknown,
    options: { readonly by?: string } = {},
  ): void {
    const app = this.app(application);
    const db = this.database(application, region);
    const member = db.cnpg;
    if (member === undefined) throw new Error(`${application}'s database is not CloudNativePG's`);
    const name = db.identifier;
    const invalid = (field: string, value: unknown, why: string): never => {
      throw new SimulatedServiceError(
        'Invalid',
        `Cluster.postgresql.cnpg.io "${name}" is invalid: ${field}: Invalid value: ${JSON.stringify(value)}: ${why}`,
        422,
      );
    };
    const body = (patch ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(body)) {
      if (key !== 'metadata' && key !== 'spec')
        invalid(key, body[key], 'the rehearsal models spec.replica and the fence annotation only');
    }
    const metadata = (body['metadata'] ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(metadata)) {
      if (key !== 'annotations')
        invalid(
          `metadata.${key}`,
          metadata[key],
          'the rehearsal models spec.replica and the fence annotation only',
        );
    }
    const annotations = (metadata['annotations'] ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(annotations)) {
      if (key !== CNPG_FENCE_ANNOTATION)
        invalid(
          `metadata.annotations.${key}`,
          annotations[key],
          'the rehearsal models the cnpg.io/fencedInstances annotation only',
        );
    }
    const spec = (body['spec'] ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(spec)) {
      if (key !== 'replica') invalid(`spec.${key}`, spec[key], 'the rehearsal models spec.replica only');
    }
    const replica = (spec['replica'] ?? {}) as Record<string, unknown>;
    const fields = ['primary', 'source', 'promotionToken', 'enabled', 'self'];
    for (const key of Object.keys(replica)) {
      if (!fields.includes(key))
        invalid(`spec.replica.${key}`, replica[key], `unknown field (${fields.join(', ')})`);
    }
    if (replica['enabled'] !== undefined && replica['enabled'] !== null)
      invalid(
        'spec.replica.enabled',
        replica['enabled'],
        'replica mode enabled is not compatible with the primary field',
      );
    if (replica['self'] !== undefined && replica['self'] !== null && replica['self'] !== name)
      invalid(
        'spec.replica.self',
        replica['self'],
        `the rehearsal's members are named by their Cluster (${name})`,
      );
    const names = this.cnpgNames(app);
    const named = (field: 'primary' | 'source', current: string): string => {
      const value = replica[field];
      if (value === undefined) return current;
      if (typeof value !== 'string' || !names.includes(value))
        return invalid(
          `spec.replica.${field}`,
          value,
          `${field} must be one of the externalClusters names (${names.join(', ')})`,
        );
      return value;
    };
    const primary = named('primary', member.primary);
    const source = named('source', member.source);
    const tokenValue = replica['promotionToken'];
    if (tokenValue !== undefined && tokenValue !== null && typeof tokenValue !== 'string')
      return invalid('spec.replica.promotionToken', tokenValue, 'expected a string');
    const token: string | undefined =
      tokenValue === undefined
        ? member.promotionToken
        : tokenValue === null || tokenValue === ''
          ? undefined
          : tokenValue;
    const wasPrimary = member.primary === name;
    const nowPrimary = primary === name;
    if (token !== undefined && !nowPrimary)
      invalid('spec.replica.promotionToken', token, 'promotionToken is only allowed for primary clusters');
    if (!nowPrimary && source === name)
      invalid('spec.replica.source', source, 'a replica cluster cannot replicate from itself');
    if (member.switchingUntil !== undefined && wasPrimary !== nowPrimary)
      invalid(
        'spec.replica.primary',
        primary,
        'cannot change the replica role while a replica switch is in progress',
      );
    let parsed: CnpgToken | undefined;
    if (token !== undefined && token !== member.promotionToken) {
      parsed = parseCnpgToken(token);
      if (parsed === undefined)
        invalid('spec.replica.promotionToken', token, 'the promotion token cannot be decoded');
    }

    // Accepted: the spec changes, then the operator acts on it.
    const fence = annotations[CNPG_FENCE_ANNOTATION];
    if (fence !== undefined) {
      const fenced = typeof fence === 'string' && fencesEveryInstance(fence);
      if (fenced !== member.fenced) {
        member.fenced = fenced;
        this.note({
          kind: 'database',
          application,
          region,
          text: `CloudNativePG cluster ${name} ${fenced ? 'fenced: PostgreSQL stopped, data kept' : 'unfenced'}`,
        });
      }
    }
    const sourceBefore = member.source;
    member.primary = primary;
    member.source = source;
    member.promotionToken = token;
    if (!wasPrimary && nowPrimary) {
      if (parsed !== undefined) this.cnpgPromoteWithToken(app, db, member, parsed, options.by);
      else if (token === undefined)
        this.promoteDatabase(application, region, {
          planned: false,
          ...(options.by === undefined ? {} : { by: options.by }),
        });
    } else if (wasPrimary && !nowPrimary) {
      this.cnpgDemote(app, db, member);
    } else if (!nowPrimary && source !== sourceBefore) {
      this.cnpgFollow(app, db, member);
    }
    this.recompute(app);
  }

  /**
   * A person's re-clone of the region's member as a replica cluster of the writer (a new `Cluster`
   * bootstrapped with pg_basebackup, as CloudNativePG requires of a former primary): what it held
   * that the writer lacks is gone from it, it is unfenced, and it reads once built.
   */
  recloneCnpgCluster(application: string, region: string): void {
    const app = this.app(application);
    const db = this.database(application, region);
    const member = db.cnpg;
    if (member === undefined) throw new Error(`${application}'s database is not CloudNativePG's`);
    if (this.faults.isOutage(region))
      throw new Error(`${region} is down: its Cluster cannot be re-cloned until the region is back`);
    this.recompute(app);
    const writerRegion = app.writers.find((r) => r !== region);
    const writer = writerRegion === undefined ? undefined : app.databases.get(writerRegion);
    if (writer?.cnpg === undefined)
      throw new Error(`${application} has no CloudNativePG primary to re-clone ${region} from`);
    this.trackReplication(app);
    member.primary = writer.identifier;
    member.source = writer.identifier;
    member.promotionToken = undefined;
    member.demotionToken = undefined;
    member.lastPromotionToken = undefined;
    member.fenced = false;
    member.unrecoverable = undefined;
    member.diverged = false;
    member.awaitingToken = false;
    member.timeline = writer.cnpg.timeline;
    db.role = 'replica';
    replicateAfresh(db, writer.region, this.regionLag.get(region) ?? 0);
    const until = this.clock.seconds + this.latency.cnpgRecloneSeconds;
    db.creatingUntil = until;
    this.note({
      kind: 'database',
      application,
      region,
      text: `CloudNativePG cluster ${db.identifier} re-cloned as a replica cluster of ${writer.identifier} (by hand)`,
    });
    this.clock.schedule(until, () => {
      if (db.creatingUntil !== until) return;
      db.creatingUntil = undefined;
      this.note({
        kind: 'database',
        application,
        region,
        text: `CloudNativePG cluster ${db.identifier} is ready as a replica cluster`,
      });
      this.recompute(app);
    });
    this.recompute(app);
  }

  private cnpgNames(app: AppSim): string[] {
    return [...app.databases.values()].map((d) => d.identifier);
  }

  private cnpgReady(db: DatabaseSim, member: CnpgMemberSim): boolean {
    return (
      !member.fenced &&
      member.switchingUntil === undefined &&
      !member.awaitingToken &&
      member.unrecoverable === undefined &&
      !member.diverged &&
      db.creatingUntil === undefined
    );
  }

  /**
   * "CloudNativePG will wait for the designated primary cluster to replicate all Write-Ahead Logging
   * (WAL) information up to the specified Log Sequence Number (LSN) contained in the token" (replica
   * clusters guide): it promotes once it has replayed what it lacked, and while nothing arrives it
   * waits. A token of another system, or of an older timeline than its own, is fatal.
   */
  private cnpgPromoteWithToken(
    app: AppSim,
    db: DatabaseSim,
    member: CnpgMemberSim,
    token: CnpgToken,
    by: string | undefined,
  ): void {
    const application = app.config.name;
    if (token.databaseSystemIdentifier !== cnpgSystemId(application) || token.timeline < member.timeline) {
      member.unrecoverable = 'Promotion token content is not correct for current instance';
      this.note({
        kind: 'database',
        application,
        region: db.region,
        text: `CloudNativePG cluster ${db.identifier} refused its promotion token: ${member.unrecoverable}`,
      });
      return;
    }
    member.awaitingToken = true;
    this.note({
      kind: 'database',
      application,
      region: db.region,
      text: `CloudNativePG cluster ${db.identifier} waits to replay up to its promotion token's LSN`,
    });
    const check = (): void => {
      if (!member.awaitingToken || member.primary !== db.identifier) return;
      this.trackReplication(app);
      if (db.stalledSince !== undefined) {
        this.clock.schedule(this.clock.seconds + 10, check);
        return;
      }
      const behind = this.unreplicatedSeconds(app, db);
      this.clock.schedule(this.clock.seconds + behind, () => {
        if (!member.awaitingToken || member.primary !== db.identifier) return;
        this.trackReplication(app);
        db.lagSeconds = 0;
        db.missedSeconds = 0;
        this.promoteDatabase(application, db.region, { planned: true, ...(by === undefined ? {} : { by }) });
      });
    };
    check();
  }

  /**
   * A primary named replica: "the demotion process ... will ensure a clean shutdown of PostgreSQL and
   * the archival of the WAL file containing the shutdown checkpoint", then the token is written and
   * it replicates from its source (replica clusters guide). It takes no writes from the patch on.
   */
  private cnpgDemote(app: AppSim, db: DatabaseSim, member: CnpgMemberSim): void {
    const application = app.config.name;
    this.trackReplication(app);
    const sourceRegion = [...app.databases.values()].find((d) => d.identifier === member.source)?.region;
    db.role = 'replica';
    replicateAfresh(db, sourceRegion, 0);
    const until = this.clock.seconds + this.latency.cnpgDemoteSeconds;
    member.switchingUntil = until;
    member.demotionToken = undefined;
    this.note({
      kind: 'database',
      application,
      region: db.region,
      text: `CloudNativePG cluster ${db.identifier} is being demoted: it takes no writes`,
    });
    this.clock.schedule(until, () => {
      if (member.switchingUntil !== until) return;
      member.switchingUntil = undefined;
      member.demotionToken = cnpgToken(application, member.timeline, this.clock.seconds);
      this.note({
        kind: 'database',
        application,
        region: db.region,
        text: `CloudNativePG cluster ${db.identifier} demoted: its demotion token is written`,
      });
      this.recompute(app);
    });
  }

  /**
   * A replica cluster given another source. A standby follows a promoted sibling's new timeline only
   * if it had not replayed past the point the sibling was promoted from: one that had (it lacked less
   * of the lost primary's writes than the promoted one) receives nothing until re-cloned.
   */
  private cnpgFollow(app: AppSim, db: DatabaseSim, member: CnpgMemberSim): void {
    const source = [...app.databases.values()].find((d) => d.identifier === member.source);
    if (source === undefined) return;
    const behind = this.unreplicatedSeconds(app, db);
    const promotedFrom = source.promotedWithLagSeconds ?? 0;
    member.diverged = source.promotedWithLagSeconds !== undefined && behind + 1e-6 < promotedFrom;
    db.sourceRegion = source.region;
    if (!member.diverged) {
      replicateAfresh(db, source.region, this.regionLag.get(db.region) ?? 0);
      if (source.cnpg !== undefined) member.timeline = source.cnpg.timeline;
    }
    this.note({
      kind: 'database',
      application: app.config.name,
      region: db.region,
      text: member.diverged
        ? `CloudNativePG cluster ${db.identifier} re-pointed at ${source.identifier} but cannot follow it: it replayed past ${source.identifier}'s promotion point and must be re-cloned`
        : `CloudNativePG cluster ${db.identifier} now replicates from ${source.identifier}`,
    });
  }

  /** RPO evidence: the lag each promotion began with, by region. */
  promotionLag(application: string, region: string): number | undefined {
    return this.app(application).databases.get(region)?.promotedWithLagSeconds;
  }

  /** The regions whose database accepts writes now. */
  writers(application: string): string[] {
    return [...this.app(application).writers];
  }

  // ---------------------------------------------------------------- workloads

  /**
   * EKS DescribeNodegroup. Under a capacity shortfall its health lists the issue EKS reports when the
   * node group's Auto Scaling group cannot launch instances (`AsgInstanceLaunchFailures`,
   * https://docs.aws.amazon.com/eks/latest/APIReference/API_Issue.html): the region has no more
   * capacity of the group's instance type.
   */
  describeNodegroup(
    application: string,
    region: string,
    nodeGroup: string,
  ): {
    desired: number;
    ready: number;
    min: number;
    max: number;
    issues: readonly { code: string; message: string }[];
  } {
    this.faults.check('eks', 'DescribeNodegroup', region);
    const group = this.nodeGroup(application, region, nodeGroup);
    const short = this.cluster(application, region).maxReplicas !== undefined;
    return {
      desired: group.desired,
      ready: group.ready,
      min: group.min,
      max: group.max,
      issues: short
        ? [
            {
              code: 'AsgInstanceLaunchFailures',
              message:
                'Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient capacity in the Availability Zone you requested. Launching EC2 instance failed.',
            },
          ]
        : [],
    };
  }

  /** EKS UpdateNodegroupConfig: new nodes are Ready after the scale-up time; removed ones go at once. */
  updateNodegroupConfig(
    application: string,
    region: string,
    nodeGroup: string,
    scaling: { desired: number; min?: number; max?: number },
  ): void {
    this.faults.check('eks', 'UpdateNodegroupConfig', region);
    const app = this.app(application);
    const group = this.nodeGroup(application, region, nodeGroup);
    const min = scaling.min ?? Math.min(group.min, scaling.desired);
    const max = scaling.max ?? Math.max(group.max, scaling.desired);
    if (!(min <= scaling.desired && scaling.desired <= max)) {
      throw new SimulatedServiceError(
        'InvalidParameterException',
        `desired ${scaling.desired} is outside min ${min} and max ${max}`,
        400,
      );
    }
    const target = scaling.desired;
    group.min = min;
    group.max = max;
    if (target === group.desired) return;
    group.desired = target;
    this.note({ kind: 'node-group', application, region, text: `node group ${nodeGroup} desired ${target}` });
    if (target < group.ready) {
      group.ready = target;
      this.reconcile(app, region);
    } else {
      this.clock.schedule(this.clock.seconds + this.latency.nodeGroupScaleUpSeconds, () => {
        if (group.desired >= target && group.ready < target) {
          group.ready = target;
          this.note({
            kind: 'node-group',
            application,
            region,
            text: `node group ${nodeGroup} has ${target} ready nodes`,
          });
          this.reconcile(app, region);
        }
      });
    }
  }

  /** GET on a workload's `/status` (or `/scale`): its replicas and ready replicas. */
  readWorkload(
    application: string,
    region: string,
    namespace: string,
    name: string,
    /** The call faults are checked for; none for the Kubernetes twin, which checks the request's own. */
    operation: 'ReadWorkloadStatus' | 'ReadWorkloadScale' | null = 'ReadWorkloadStatus',
  ): { kind: string; replicas: number; readyReplicas: number; minReady: number } {
    if (operation !== null) this.faults.check('kubernetes', operation, region);
    const d = this.deployment(application, region, namespace, name);
    return {
      kind: d.kind,
      replicas: d.desired,
      readyReplicas: this.faults.isOutage(region) ? 0 : d.ready,
      minReady: d.minReady,
    };
  }

  /** PUT on the workload's scale subresource. */
  scaleWorkload(
    application: string,
    region: string,
    namespace: string,
    name: string,
    replicas: number,
    checkFaults = true,
  ): void {
    if (checkFaults) this.faults.check('kubernetes', 'UpdateWorkloadScale', region);
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new SimulatedServiceError(
        'UnprocessableEntity',
        `replicas must be a non-negative integer (got ${replicas})`,
        422,
      );
    }
    this.setReplicas(
      application,
      region,
      this.deployment(application, region, namespace, name),
      replicas,
      'scaled',
    );
  }

  /** GET on an HPA or a ScaledObject: its bounds, target and whether it is paused. */
  readAutoscaler(
    application: string,
    region: string,
    namespace: string,
    kind: string,
    name: string,
    /** Whether faults on ReadAutoscaler apply; not for the Kubernetes twin, which checks the request's own. */
    checkFaults = true,
  ): { min: number; max: number; target: { kind: string; name: string }; paused: boolean } {
    if (checkFaults) this.faults.check('kubernetes', 'ReadAutoscaler', region);
    const { d, autoscaler } = this.autoscaler(application, region, namespace, kind, name);
    return {
      min: autoscaler.min,
      max: autoscaler.max,
      target: { kind: d.kind, name: d.name },
      paused: autoscaler.paused,
    };
  }

  /**
   * A merge patch of an autoscaler's bounds, refused as the API server (or KEDA's admission webhook)
   * refuses it: a minimum over the maximum, an HPA's minimum under 1.
   */
  patchAutoscaler(
    application: string,
    region: string,
    namespace: string,
    kind: string,
    name: string,
    bounds: { readonly min?: number; readonly max?: number },
    checkFaults = true,
  ): void {
    if (checkFaults) this.faults.check('kubernetes', 'PatchAutoscaler', region);
    const { autoscaler } = this.autoscaler(application, region, namespace, kind, name);
    const min = bounds.min ?? autoscaler.min;
    const max = bounds.max ?? autoscaler.max;
    const least = autoscaler.kind === 'HorizontalPodAutoscaler' ? 1 : 0;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < least || max < Math.max(min, 1)) {
      throw new SimulatedServiceError(
        'Invalid',
        `${kind} "${name}" is invalid: the minimum (${min}) must be at least ${least} and the maximum (${max}) at least the minimum and 1`,
        422,
      );
    }
    if (autoscaler.min === min && autoscaler.max === max) return;
    autoscaler.min = min;
    autoscaler.max = max;
    this.note({
      kind: 'deployment',
      application,
      region,
      text: `${kind} ${namespace}/${name} bounds set to ${min}–${max}`,
    });
  }

  /** Scenario setup: an autoscaler's maximum, or KEDA's pause annotation. */
  setAutoscaler(
    application: string,
    region: string,
    namespace: string,
    workload: string,
    change: { readonly max?: number; readonly paused?: boolean },
  ): void {
    const d = this.deployment(application, region, namespace, workload);
    if (d.autoscaler === undefined)
      throw new Error(`${namespace}/${workload} in ${region} has no autoscaler`);
    if (change.max !== undefined) d.autoscaler.max = change.max;
    if (change.paused !== undefined) d.autoscaler.paused = change.paused;
  }

  /** How many times a workload's replicas changed (its resourceVersion on the twin's API server). */
  workloadGeneration(application: string, region: string, namespace: string, name: string): number {
    return this.deployment(application, region, namespace, name).generation;
  }

  /** A workload's replicas now (what its scale subresource says). */
  workloadReplicas(application: string, region: string, namespace: string, name: string): number {
    return this.deployment(application, region, namespace, name).desired;
  }

  readyReplicas(application: string, region: string): Record<string, number> {
    const cluster = this.cluster(application, region);
    return Object.fromEntries(
      [...cluster.deployments.values()].map((d) => [
        `${d.namespace}/${d.name}`,
        this.faults.isOutage(region) ? 0 : d.ready,
      ]),
    );
  }

  /** Whether every deployment of the application in the region has its minimum ready. */
  workloadsReady(application: string, region: string): boolean {
    if (this.faults.isOutage(region)) return false;
    return [...this.cluster(application, region).deployments.values()].every((d) => d.ready >= d.minReady);
  }

  // ---------------------------------------------------------------- metrics

  /** Percent of client requests that fail, for the region or across the application's traffic. */
  errorRatePercent(application: string, region?: string): number {
    const app = this.app(application);
    if (region !== undefined) return this.regionErrorRate(app, region);
    let rate = 0;
    for (const [r, share] of this.trafficShares(application)) rate += share * this.regionErrorRate(app, r);
    return rate;
  }

  /** p99 latency in milliseconds, for the region or across the application's traffic. */
  latencyMs(application: string, region?: string): number {
    const app = this.app(application);
    const shares = this.trafficShares(application);
    const one = (r: string): number => {
      const cluster = app.clusters.get(r);
      const active = [...(cluster?.deployments.values() ?? [])];
      const ready = active.reduce((sum, d) => sum + d.ready, 0);
      const needed = active.reduce((sum, d) => sum + d.minReady, 0) * (cluster?.fullLoadFactor ?? 1);
      // A region serving its share with fewer ready replicas than it needs queues requests.
      const load = (shares.get(r) ?? 0) * (needed / Math.max(ready, 1));
      return 250 + 750 * Math.max(0, load - 1) + 50 * load;
    };
    if (region !== undefined) return one(region);
    let latency = 0;
    for (const [r, share] of shares) latency += share * one(r);
    return latency;
  }

  // ---------------------------------------------------------------- Slack

  /**
   * chat.postMessage. A reply names its thread's parent; a reply's own ts names the parent's thread
   * (Slack files a reply to a reply in the parent's thread).
   */
  postSlackMessage(
    channel: string,
    text: string,
    blocks: readonly unknown[] = [],
    thread?: { readonly ts: string; readonly broadcast?: boolean },
  ): string {
    this.faults.check('slack', 'chat.postMessage', 'global');
    const ts = `${Math.floor(this.clock.seconds)}.${String(++this.slackSeq).padStart(6, '0')}`;
    const parent = thread === undefined ? undefined : this.slack.find((m) => m.ts === thread.ts);
    const root = parent?.thread?.ts ?? thread?.ts;
    this.slack.push({
      ts,
      channel,
      postedAt: this.clock.seconds,
      text,
      blocks,
      updatedAt: undefined,
      ...(root === undefined ? {} : { thread: { ts: root, broadcast: thread?.broadcast === true } }),
    });
    this.note({ kind: 'slack', text: `Slack${root === undefined ? '' : ' (in thread)'}: ${text}` });
    return ts;
  }

  updateSlackMessage(ts: string, text: string, blocks: readonly unknown[] = []): void {
    this.faults.check('slack', 'chat.update', 'global');
    const message = this.slack.find((m) => m.ts === ts);
    if (message === undefined)
      throw new SimulatedServiceError('slack_webapi_platform_error', 'message_not_found', 404);
    message.text = text;
    message.blocks = blocks;
    message.updatedAt = this.clock.seconds;
    this.note({ kind: 'slack', text: `Slack (updated): ${text}` });
  }

  /**
   * A message only `user` sees (chat.postEphemeral): kept with the messages, marked ephemeral.
   * Slack refuses it for a user who is not in the channel (`user_not_in_channel`); every approver
   * the config lists is taken to be in the configured channel.
   */
  postSlackEphemeral(channel: string, user: string, text: string): void {
    this.faults.check('slack', 'chat.postEphemeral', 'global');
    this.ephemeral.push({ channel, user, text, postedAt: this.clock.seconds });
    this.note({ kind: 'slack', text: `Slack (only ${user} sees it): ${text}` });
  }

  /**
   * An incident event put on an event bus (the paging hook): a `page` line in the timeline, where a
   * team's rule would pick it up.
   */
  recordPage(
    region: string,
    bus: string,
    detailType: string,
    detail: {
      readonly application?: unknown;
      readonly phase?: unknown;
      readonly severity?: unknown;
      readonly summary?: unknown;
    },
  ): void {
    const words = (value: unknown): string =>
      typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
    this.timeline.push({
      at: this.clock.seconds,
      kind: 'page',
      ...(typeof detail.application === 'string' ? { application: detail.application } : {}),
      region,
      text: `${detailType} on ${bus}: ${words(detail.phase)} (${words(detail.severity)}): ${words(detail.summary)}`,
    });
  }

  /** Records how the Slack callback judged a button press (the approval flow calls this). */
  recordSlackDecision(decision: SlackDecision): void {
    this.note({
      kind: 'slack',
      text: `Slack: ${decision.user} ${decision.counted ? 'decided' : 'was refused on'} approval ${decision.approvalId}`,
    });
    this.emit({ type: 'slack-decision', decision });
  }

  // ---------------------------------------------------------------- snapshot

  /** The state of every region, for the report. */
  regionsSnapshot(): Record<
    string,
    {
      healthy: boolean;
      dnsWeight: Record<string, number>;
      database: Record<string, DatabaseRole>;
      workloads: Record<string, number>;
    }
  > {
    const regions = new Set(this.config.applications.flatMap((a) => a.regions));
    const out: Record<
      string,
      {
        healthy: boolean;
        dnsWeight: Record<string, number>;
        database: Record<string, DatabaseRole>;
        workloads: Record<string, number>;
      }
    > = {};
    for (const region of regions) {
      const entry = {
        healthy: !this.faults.isOutage(region),
        dnsWeight: {} as Record<string, number>,
        database: {} as Record<string, DatabaseRole>,
        workloads: {} as Record<string, number>,
      };
      for (const app of this.apps.values()) {
        if (!app.config.regions.includes(region)) continue;
        entry.dnsWeight[app.config.name] = app.weights.get(region) ?? 0;
        entry.database[app.config.name] = this.databaseRole(app.config.name, region);
        for (const [id, ready] of Object.entries(this.readyReplicas(app.config.name, region)))
          entry.workloads[`${app.config.name}/${id.split('/')[1] ?? id}`] = ready;
      }
      out[region] = entry;
    }
    return out;
  }

  applicationNames(): string[] {
    return [...this.apps.keys()];
  }

  // ---------------------------------------------------------------- internals

  private createApp(config: ApplicationConfig): AppSim {
    const [primary] = config.regions;
    const healthChecks = new Map<string, HealthCheckSim>();
    const alarms = new Map<string, AlarmSim>();
    const weights = new Map<string, number>();
    const databases = new Map<string, DatabaseSim>();
    const clusters = new Map<string, ClusterSim>();
    for (const region of config.regions) {
      const spec = config.healthChecks[region];
      healthChecks.set(region, {
        region,
        id: spec?.kind === 'existing' ? spec.healthCheckId : `hc-${config.name}-${region}`,
        intervalSeconds: spec?.kind === 'endpoint' ? spec.intervalSeconds : 30,
        failureThreshold: spec?.kind === 'endpoint' ? spec.failureThreshold : 3,
        status: 'healthy',
        streak: 0,
        unhealthyThisPeriod: false,
        unhealthySince: undefined,
      });
      alarms.set(region, {
        name: healthCheckAlarmName(config.name, region),
        region,
        state: 'OK', // the estate ran before the scenario began: every alarm has settled
        updatedAt: 0,
        breachingSince: undefined,
      });
      // An active-active application starts with every region at its serving weight.
      const servingWeights = config.activeActive?.weights;
      weights.set(region, servingWeights?.[region] ?? (region === primary ? 100 : 0));
      const identifier = databaseId(config, region);
      databases.set(region, {
        region,
        identifier: identifier ?? `${config.name}-${region}`,
        role: region === primary ? 'writer' : 'replica',
        sourceRegion: region === primary ? undefined : primary,
        lagSeconds: 0,
        promotingUntil: undefined,
        promotedWithLagSeconds: undefined,
        securityGroups: [APPLICATION_SECURITY_GROUP],
        securityGroupsActiveAt: 0,
        isolated: false,
        lagLog: [],
        sinceBefore: true,
        missedSeconds: 0,
        sourceWriting: true,
        trackedAt: 0,
        ...(config.database.engine === 'cloudnativepg'
          ? {
              cnpg: {
                namespace: config.database.clusters[region]?.namespace ?? config.name,
                primary: databaseId(config, primary ?? '') ?? '',
                // A primary's spec names a source too (the CRD requires it): whom it would follow
                // once demoted, here the first standby.
                source:
                  databaseId(config, region === primary ? (config.regions[1] ?? '') : (primary ?? '')) ?? '',
                promotionToken: undefined,
                demotionToken: undefined,
                lastPromotionToken: undefined,
                timeline: 1,
                fenced: false,
                switchingUntil: undefined,
                awaitingToken: false,
                unrecoverable: undefined,
                diverged: false,
              },
            }
          : {}),
      });
      const workload = config.workloads[region];
      if (workload !== undefined) {
        const active =
          config.activeActive === undefined
            ? region === primary
            : (config.activeActive.weights[region] ?? 0) > 0;
        const fullLoadFactor = fullLoadFactorOf(config, region);
        const activeNodes = workload.nodeGroups.reduce((sum, g) => sum + g.activeSize, 0);
        const activePods = workload.deployments.reduce((sum, d) => sum + d.activeReplicas, 0);
        clusters.set(region, {
          name: workload.clusterName,
          nodeGroups: new Map(
            workload.nodeGroups.map((g) => {
              const size = active ? g.activeSize : g.standbySize;
              return [
                g.name,
                {
                  name: g.name,
                  desired: size,
                  ready: size,
                  min: Math.min(g.standbySize, size),
                  max: g.maxSize ?? g.activeSize,
                },
              ];
            }),
          ),
          deployments: new Map(
            workload.deployments.map((d) => {
              const replicas = active ? d.activeReplicas : d.standbyReplicas;
              return [
                `${d.namespace}/${d.name}`,
                {
                  namespace: d.namespace,
                  name: d.name,
                  kind: d.kind,
                  autoscaler:
                    d.autoscaler === undefined
                      ? undefined
                      : {
                          kind: d.autoscaler.kind,
                          name: d.autoscaler.name,
                          min: replicas,
                          // The simulated autoscaler's own limit: room above the active size.
                          max: 2 * d.activeReplicas,
                          paused: false,
                          fullLoadReplicas: d.activeReplicas * fullLoadFactor,
                          recommendations: [],
                        },
                  minReady: d.minReadyReplicas ?? d.activeReplicas,
                  desired: replicas,
                  generation: 1,
                  ready: replicas,
                  pending: [],
                },
              ];
            }),
          ),
          podsPerNode: activeNodes > 0 ? Math.ceil(activePods / activeNodes) : undefined,
          maxReplicas: undefined,
          fullLoadFactor,
        });
      }
    }
    const probes: ProbeSim[] = [];
    for (const target of config.regions) {
      for (const from of config.regions) {
        if (from === target || !this.config.controlPlaneRegions.includes(from)) continue;
        probes.push({
          name: probeAlarmName(config.name, target, from),
          target,
          from,
          state: 'OK',
          updatedAt: 0,
          failures: 0,
          failingSince: undefined,
        });
      }
    }
    return {
      config,
      healthChecks,
      alarms,
      probes,
      fenced: new Set(),
      fenceVotes: new Map(),
      fenceVotedAt: new Map(),
      weights,
      changes: new Map(),
      databases,
      clusters,
      answers: [],
      writers: [],
      serving: false,
    };
  }

  private app(name: string): AppSim {
    const app = this.apps.get(name);
    if (app === undefined)
      throw new SimulatedServiceError('ResourceNotFoundException', `no application named ${name}`, 404);
    return app;
  }

  private database(application: string, region: string): DatabaseSim {
    const db = this.app(application).databases.get(region);
    if (db === undefined)
      throw new SimulatedServiceError(
        'DBInstanceNotFoundFault',
        `${application} has no database in ${region}`,
        404,
      );
    return db;
  }

  private cluster(application: string, region: string): ClusterSim {
    const cluster = this.app(application).clusters.get(region);
    if (cluster === undefined)
      throw new SimulatedServiceError(
        'ResourceNotFoundException',
        `${application} has no cluster in ${region}`,
        404,
      );
    return cluster;
  }

  private nodeGroup(application: string, region: string, name: string): NodeGroupSim {
    const group = this.cluster(application, region).nodeGroups.get(name);
    if (group === undefined)
      throw new SimulatedServiceError('ResourceNotFoundException', `no node group ${name} in ${region}`, 404);
    return group;
  }

  private setReplicas(
    application: string,
    region: string,
    d: DeploymentSim,
    replicas: number,
    how: 'scaled' | 'autoscaled',
  ): void {
    if (d.desired === replicas) return;
    d.desired = replicas;
    d.generation += 1;
    this.note({
      kind: 'deployment',
      application,
      region,
      text:
        how === 'scaled'
          ? `${d.namespace}/${d.name} scaled to ${replicas}`
          : `${d.autoscaler?.kind ?? 'autoscaler'} ${d.namespace}/${d.autoscaler?.name ?? ''} set ${d.namespace}/${d.name} to ${replicas}`,
    });
    this.reconcile(this.app(application), region);
  }

  /**
   * One sync of every autoscaler of the application, as the HPA controller runs it
   * (https://kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/#algorithm-details):
   * the recommendation is the replicas the region's share of the load needs; a higher one applies at
   * once, a lower one only as far as the highest of the last five minutes (the default scale-down
   * stabilization window); the result is clamped to the bounds. It undoes any other replica count,
   * which is why a failover moves the minimum. An HPA whose target is at 0 replicas is disabled; a
   * paused ScaledObject, or a region whose cluster is down, scales nothing.
   */
  private syncAutoscalers(app: AppSim): void {
    const now = this.clock.seconds;
    const shares = this.trafficShares(app.config.name);
    for (const [region, cluster] of app.clusters) {
      if (this.faults.isOutage(region)) continue;
      const share = shares.get(region) ?? 0;
      for (const d of cluster.deployments.values()) {
        const a = d.autoscaler;
        if (a === undefined || a.paused) continue;
        if (a.kind === 'HorizontalPodAutoscaler' && d.desired === 0) continue;
        const recommendation = Math.ceil(share * a.fullLoadReplicas - 1e-9);
        a.recommendations = a.recommendations.filter(
          (r) => now - r.at < AUTOSCALER_SCALE_DOWN_WINDOW_SECONDS,
        );
        a.recommendations.push({ at: now, replicas: recommendation });
        const down = Math.max(...a.recommendations.map((r) => r.replicas));
        const stabilized = d.desired < recommendation ? recommendation : d.desired > down ? down : d.desired;
        const replicas = Math.min(Math.max(stabilized, a.min), a.max);
        this.setReplicas(app.config.name, region, d, replicas, 'autoscaled');
      }
    }
  }

  private autoscaler(
    application: string,
    region: string,
    namespace: string,
    kind: string,
    name: string,
  ): { d: DeploymentSim; autoscaler: AutoscalerSim } {
    for (const d of this.cluster(application, region).deployments.values()) {
      const a = d.autoscaler;
      if (d.namespace === namespace && a !== undefined && a.kind === kind && a.name === name)
        return { d, autoscaler: a };
    }
    const resource =
      kind === 'ScaledObject' ? 'scaledobjects.keda.sh' : 'horizontalpodautoscalers.autoscaling';
    throw new SimulatedServiceError('NotFound', `${resource} "${name}" not found`, 404);
  }

  private deployment(application: string, region: string, namespace: string, name: string): DeploymentSim {
    const d = this.cluster(application, region).deployments.get(`${namespace}/${name}`);
    if (d === undefined)
      throw new SimulatedServiceError('NotFound', `"${name}" not found in ${namespace}`, 404);
    return d;
  }

  private flapping(region: string): boolean {
    const flap = this.flaps.get(region);
    if (flap === undefined) return false;
    // Down for the first period, up for the next, and so on.
    return Math.floor((this.clock.seconds - flap.start) / flap.period) % 2 === 0;
  }

  private endpointServes(app: AppSim, region: string): boolean {
    if (this.faults.isOutage(region) || this.flapping(region)) return false;
    const cluster = app.clusters.get(region);
    return cluster === undefined || [...cluster.deployments.values()].every((d) => d.ready > 0);
  }

  private probe(app: AppSim, check: HealthCheckSim): void {
    const up = this.endpointServes(app, check.region);
    const agrees = (check.status === 'healthy') === up;
    check.streak = agrees ? 0 : check.streak + 1;
    if (check.streak >= check.failureThreshold) {
      check.status = up ? 'healthy' : 'unhealthy';
      check.streak = 0;
      check.unhealthySince = up ? undefined : this.clock.seconds;
      if (check.status === 'unhealthy') check.unhealthyThisPeriod = true;
      this.note({
        kind: 'health-check',
        application: app.config.name,
        region: check.region,
        text: `health check ${check.status}`,
      });
      this.recompute(app);
    }
  }

  /** What Route 53's data plane sees of a record: its endpoint check, and no fence on it. */
  private recordHealthy(app: AppSim, region: string): boolean {
    return app.healthChecks.get(region)?.status === 'healthy' && !app.fenced.has(region);
  }

  /** Each control plane's probes of the other regions, and the regional alarms on them. */
  private runProbes(app: AppSim): void {
    for (const probe of app.probes) {
      // A region that is down neither probes nor evaluates its alarms.
      if (this.faults.isOutage(probe.from)) continue;
      const serves = this.endpointServes(app, probe.target);
      const sentAt = this.clock.seconds;
      const timeout = this.latency.probeTimeoutSeconds;
      if (!serves && this.faults.isOutage(probe.target) && timeout > 0) {
        // A region that is down does not answer: the probe fails when its timeout ends, not at once.
        this.clock.schedule(sentAt + timeout, () => {
          if (!this.faults.isOutage(probe.from)) this.recordProbe(app, probe, false, sentAt);
        });
      } else this.recordProbe(app, probe, serves, sentAt);
    }
  }

  /** One probe's result (sent at `sentAt`) counted toward its alarm, which changes state on it. */
  private recordProbe(app: AppSim, probe: AppSim['probes'][number], serves: boolean, sentAt: number): void {
    const threshold = app.config.detection.probeFailureThreshold;
    probe.failures = serves ? 0 : probe.failures + 1;
    if (probe.failures === 0) probe.failingSince = undefined;
    else if (probe.failures === 1) probe.failingSince = sentAt;
    const next: AlarmState = probe.failures >= threshold ? 'ALARM' : 'OK';
    if (next === probe.state) return;
    const previous = probe.state;
    probe.state = next;
    probe.updatedAt = this.clock.seconds;
    this.note({
      kind: 'alarm',
      application: app.config.name,
      region: probe.target,
      text: `alarm ${probe.name} ${previous} → ${next}`,
    });
    this.deliver(app, probe.name, probe.from, next, previous, [probe.from]);
  }

  private evaluateAlarms(): void {
    // The alarms live in the detection region; while it is down they do not evaluate.
    if (this.faults.isOutage(DETECTION_REGION)) return;
    for (const app of this.apps.values()) {
      for (const region of app.alarms.keys()) {
        const check = app.healthChecks.get(region);
        if (check === undefined) continue;
        const breaching = check.unhealthyThisPeriod || check.status === 'unhealthy';
        check.unhealthyThisPeriod = check.status === 'unhealthy';
        const next: AlarmState = breaching ? 'ALARM' : 'OK';
        const delay = this.latency.route53AlarmDelaySeconds;
        if (delay > 0) {
          // The period's datapoint reaches the alarm `route53AlarmDelaySeconds` after the period.
          const unhealthySince = check.unhealthySince;
          this.clock.schedule(this.clock.seconds + delay, () => {
            if (!this.faults.isOutage(DETECTION_REGION))
              this.setRoute53Alarm(app, region, next, unhealthySince);
          });
        } else this.setRoute53Alarm(app, region, next, check.unhealthySince);
      }
    }
  }

  /** A HealthCheckStatus alarm's state change, and its event to every control-plane bus. */
  private setRoute53Alarm(
    app: AppSim,
    region: string,
    next: AlarmState,
    unhealthySince: number | undefined,
  ): void {
    const alarm = app.alarms.get(region);
    if (alarm === undefined || next === alarm.state) return;
    const previous = alarm.state;
    alarm.state = next;
    alarm.updatedAt = this.clock.seconds;
    // The earliest breaching datapoint: the one that holds the moment the check turned unhealthy.
    alarm.breachingSince = next === 'ALARM' ? (unhealthySince ?? this.clock.seconds) : undefined;
    this.note({
      kind: 'alarm',
      application: app.config.name,
      region,
      text: `alarm ${alarm.name} ${previous} → ${next}`,
    });
    this.deliver(app, alarm.name, DETECTION_REGION, alarm.state, previous, this.config.controlPlaneRegions);
  }

  /** An alarm state change, as EventBridge delivers it to the `lifeboat` bus of each named region. */
  private deliver(
    app: AppSim,
    alarmName: string,
    alarmRegion: string,
    state: AlarmState,
    previous: AlarmState,
    busRegions: readonly string[],
  ): void {
    const now = this.clock.now().toISOString();
    const event: AlarmStateChangeEvent = {
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      region: alarmRegion,
      time: now,
      resources: [`arn:aws:cloudwatch:${alarmRegion}:000000000000:alarm:${alarmName}`],
      detail: {
        alarmName,
        state: {
          value: state,
          reason:
            state === 'ALARM'
              ? 'Threshold Crossed: datapoints were less than the threshold (1.0).'
              : 'Threshold Crossed: datapoints were not less than the threshold (1.0).',
          timestamp: now,
        },
        previousState: { value: previous },
      },
    };
    const sentAt = this.clock.seconds;
    for (const busRegion of busRegions) {
      // A bus in a region that is down does not receive. EventBridge retries the delivery "for 24
      // hours and up to 185 times with an exponential back off and jitter", then drops the event (to
      // the forwarding rule's dead-letter queue)
      // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html). AWS does
      // not give the intervals: doubling from one second up to eight minutes spreads 185 attempts
      // over about 24 hours. An event may so arrive long after the change it reports.
      const attempt = (retries: number): void => {
        if (this.faults.isOutage(busRegion)) {
          const wait = Math.min(2 ** retries, EVENTBRIDGE_MAX_RETRY_INTERVAL_SECONDS);
          if (
            retries >= EVENTBRIDGE_MAX_RETRIES ||
            this.clock.seconds + wait - sentAt > EVENTBRIDGE_MAX_EVENT_AGE_SECONDS
          ) {
            this.note({
              kind: 'event-dropped',
              application: app.config.name,
              region: busRegion,
              text: `${EVENT_BUS_NAME} bus in ${busRegion} never received ${alarmName} ${state}: EventBridge gave up after ${retries} retries`,
            });
            return;
          }
          this.clock.schedule(this.clock.seconds + wait, () => {
            attempt(retries + 1);
          });
          return;
        }
        const delivered: DeliveredEvent = {
          at: this.clock.seconds,
          busRegion,
          application: app.config.name,
          event,
        };
        this.delivered.push(delivered);
        const late = this.clock.seconds - sentAt - this.latency.eventBridgeDeliverySeconds;
        this.note({
          kind: 'event-delivered',
          application: app.config.name,
          region: busRegion,
          text: `${EVENT_BUS_NAME} bus in ${busRegion} received ${alarmName} ${state}${late >= 1 ? ` (sent ${Math.round(late)} s earlier, retried while ${busRegion} was down)` : ''}`,
        });
        for (const listener of this.eventListeners) listener(delivered);
      };
      this.clock.schedule(this.clock.seconds + this.latency.eventBridgeDeliverySeconds, () => {
        attempt(0);
      });
    }
  }

  /**
   * Brings deployments toward their desired replicas as Kubernetes would: running pods keep their
   * place; new pods start on free capacity (in deployment order) and are ready a pod-start later;
   * pods go at once when replicas go down or their nodes do.
   */
  private reconcile(app: AppSim, region: string): void {
    const cluster = app.clusters.get(region);
    if (cluster === undefined) return;
    const readyNodes = [...cluster.nodeGroups.values()].reduce((sum, g) => sum + g.ready, 0);
    const capacity =
      cluster.podsPerNode === undefined ? Number.POSITIVE_INFINITY : readyNodes * cluster.podsPerNode;
    const cap = cluster.maxReplicas ?? Number.POSITIVE_INFINITY;
    const deployments = [...cluster.deployments.values()];
    for (const d of deployments) {
      const wanted = Math.min(d.desired, cap);
      if (d.ready > wanted) d.ready = wanted;
      // Pods still starting beyond what is wanted are cancelled, newest first.
      let excess = d.ready + d.pending.reduce((sum, p) => sum + p.count, 0) - wanted;
      while (excess > 0 && d.pending.length > 0) {
        const last = d.pending.pop();
        if (last === undefined) break;
        if (last.count > excess) {
          d.pending.push({ at: last.at, count: last.count - excess });
          excess = 0;
        } else excess -= last.count;
      }
    }
    // Nodes went away: evict from the last deployments until the running pods fit.
    let running = deployments.reduce((sum, d) => sum + d.ready, 0);
    for (const d of [...deployments].reverse()) {
      if (running <= capacity) break;
      const evict = Math.min(d.ready, running - capacity);
      d.ready -= evict;
      running -= evict;
    }
    let free =
      capacity -
      running -
      deployments.reduce((sum, d) => sum + d.pending.reduce((s, p) => s + p.count, 0), 0);
    const now = this.clock.seconds;
    for (const d of deployments) {
      const inFlight = d.pending.reduce((sum, p) => sum + p.count, 0);
      const count = Math.min(Math.min(d.desired, cap) - d.ready - inFlight, free);
      if (count <= 0) continue;
      free -= count;
      const at = now + this.latency.podStartSeconds;
      const batch = { at, count };
      d.pending.push(batch);
      this.clock.schedule(at, () => {
        const index = d.pending.indexOf(batch);
        if (index < 0) return;
        d.pending.splice(index, 1);
        d.ready = Math.min(d.ready + batch.count, d.desired, cap);
        this.note({
          kind: 'deployment',
          application: app.config.name,
          region,
          text: `${d.namespace}/${d.name} has ${d.ready} ready`,
        });
        this.reconcile(app, region);
      });
    }
    this.recompute(app);
  }

  private regionErrorRate(app: AppSim, region: string): number {
    if (!this.endpointServes(app, region)) return 100;
    const injected = this.errorFaults.get(region);
    if (injected !== undefined) return Math.max(0.1, injected);
    const cluster = app.clusters.get(region);
    if (cluster === undefined) return 0.1;
    const share = this.trafficShares(app.config.name).get(region) ?? 0;
    // An active-passive region needs its minimum ready for any share; an active-active one needs
    // it for its serving share, and in proportion for more.
    const scale = app.config.activeActive === undefined ? 1 : share * cluster.fullLoadFactor;
    const shortfall = [...cluster.deployments.values()].reduce((worst, d) => {
      const needed = d.minReady * scale;
      return Math.max(worst, d.ready >= needed ? 0 : 1 - d.ready / needed);
    }, 0);
    // A region without what it needs ready sheds the excess load; the baseline is a healthy 0.1 %.
    return Math.max(0.1, shortfall * 100 * share);
  }

  /**
   * Follows each replica's replication: a replica whose source's region is down (or whose source is
   * gone) receives nothing, so its replay stops where it was; it resumes (and catches up) when the
   * source answers again. Logs what its lag metric says from now on.
   */
  private trackReplication(app: AppSim): void {
    const aurora = app.config.database.engine === 'aurora-global';
    const now = this.clock.seconds;
    for (const db of app.databases.values()) {
      // What the source wrote while the replica received nothing, up to now.
      if (db.stalledSince !== undefined && db.sourceWriting) db.missedSeconds += now - db.trackedAt;
      db.trackedAt = now;
      const source = db.sourceRegion;
      const sourceDb = source === undefined ? undefined : app.databases.get(source);
      // A fenced CloudNativePG cluster has stopped PostgreSQL: it sends nothing.
      const sourceDown =
        source !== undefined &&
        (this.faults.isOutage(source) || sourceDb === undefined || sourceDb.cnpg?.fenced === true);
      const stalled =
        db.role === 'replica' &&
        source !== undefined &&
        (sourceDown || db.linkBroken === true || db.cnpg?.diverged === true || db.cnpg?.fenced === true);
      db.sourceWriting = !sourceDown;
      if (!stalled) {
        // Replication resumed: the replica catches up on what it missed.
        db.stalledSince = undefined;
        db.missedSeconds = 0;
      } else db.stalledSince ??= now;
      const entry: LagLogEntry = {
        at: this.clock.seconds,
        lagSeconds: db.lagSeconds,
        stalledSince: db.stalledSince,
        publishing:
          db.role === 'replica' &&
          db.creatingUntil === undefined &&
          db.resyncUntil === undefined &&
          !(aurora && db.stalledSince !== undefined),
      };
      const last = db.lagLog.at(-1);
      if (
        last !== undefined &&
        last.lagSeconds === entry.lagSeconds &&
        last.stalledSince === entry.stalledSince &&
        last.publishing === entry.publishing
      )
        continue;
      // Changes at one instant make one entry: the last word holds.
      if (last?.at === entry.at) db.lagLog.pop();
      db.lagLog.push(entry);
    }
  }

  /** Recomputes what follows from the state (answers, writers, serving) and logs what changed. */
  private recompute(app: AppSim): void {
    const name = app.config.name;
    this.trackReplication(app);
    const answers = route53Answers(
      app.config.regions.map((region) => ({
        region,
        weight: app.weights.get(region) ?? 0,
        healthy: this.recordHealthy(app, region),
      })),
    );
    if (!sameSet(answers, app.answers)) {
      app.answers = answers;
      this.dnsLog.push({ at: this.clock.seconds, application: name, answers: [...answers] });
    }
    const writers = app.config.regions.filter((region) => {
      const db = app.databases.get(region);
      return (
        db !== undefined &&
        !this.faults.isOutage(region) &&
        db.promotingUntil === undefined &&
        db.rebootingUntil === undefined &&
        !db.isolated &&
        db.cnpg?.fenced !== true &&
        (db.role === 'writer' || db.role === 'standalone')
      );
    });
    if (!sameSet(writers, app.writers)) {
      app.writers = writers;
      this.writersLog.push({ at: this.clock.seconds, application: name, regions: [...writers] });
    }
    // The application writes through its writer endpoint, wherever the writer is: a region serves
    // when its own database writes, or replicates from a writer that does (a returning region during
    // a gradual failback). A database being promoted takes no writes.
    const writesFrom = (region: string): boolean => {
      if (writers.includes(region)) return true;
      const db = app.databases.get(region);
      return (
        db?.role === 'replica' &&
        db.promotingUntil === undefined &&
        db.sourceRegion !== undefined &&
        writers.includes(db.sourceRegion) &&
        [...app.databases.values()].every((d) => d.promotingUntil === undefined)
      );
    };
    const serving =
      answers.length > 0 &&
      answers.every(
        (region) =>
          this.endpointServes(app, region) && writesFrom(region) && this.workloadsReady(name, region),
      );
    if (serving !== app.serving || this.servingLog.every((s) => s.application !== name)) {
      app.serving = serving;
      this.servingLog.push({ at: this.clock.seconds, application: name, serving });
    }
    this.emit({ type: 'state', application: name });
  }

  private note(entry: Omit<TimelineEntry, 'at'>): void {
    this.timeline.push({ at: this.clock.seconds, ...entry });
    this.clock.touch();
  }

  private emit(change: WorldChange): void {
    for (const listener of this.changeListeners) listener(change);
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * How many times its active sizes `region` needs to carry all of the application's traffic: 1 for
 * an active-passive application (its active sizes are sized for it); for an active-active one, the
 * inverse of the region's serving share (a region that serves no share is sized like a standby).
 */
function fullLoadFactorOf(config: ApplicationConfig, region: string): number {
  const weights = config.activeActive?.weights;
  const weight = weights?.[region] ?? 0;
  if (weights === undefined || weight === 0) return 1;
  return Object.values(weights).reduce((sum, w) => sum + w, 0) / weight;
}

function formatWeights(weights: Readonly<Record<string, number>>): string {
  return Object.entries(weights)
    .map(([region, weight]) => `${region}=${weight}`)
    .join(', ');
}

/** The lag metric's value at `at` from the instance's log (see `DatabaseSim.lagLog`). */
function lagAt(db: DatabaseSim, at: number): number | undefined {
  let entry: LagLogEntry | undefined;
  for (const e of db.lagLog) {
    if (e.at > at) break;
    entry = e;
  }
  if (entry === undefined) {
    // Before the scenario began, an instance that was already running streamed steadily.
    const first = db.lagLog[0];
    const streamed = first !== undefined && (first.publishing || first.stalledSince !== undefined);
    return db.sinceBefore && streamed ? first.lagSeconds : undefined;
  }
  if (!entry.publishing) return undefined;
  return entry.stalledSince === undefined
    ? entry.lagSeconds
    : entry.lagSeconds + Math.max(0, at - entry.stalledSince);
}

/** The annotation whose JSON list of instance names CloudNativePG fences; `["*"]` is every one. */
const CNPG_FENCE_ANNOTATION = 'cnpg.io/fencedInstances';

function fencesEveryInstance(annotation: string): boolean {
  try {
    const list = JSON.parse(annotation) as unknown;
    return Array.isArray(list) && list.includes('*');
  } catch {
    return false;
  }
}

/** What the rehearsal reads of a CloudNativePG token. */
interface CnpgToken {
  readonly databaseSystemIdentifier: string;
  readonly timeline: number;
}

/** A stable PostgreSQL system identifier per application: every member of its topology shares it. */
function cnpgSystemId(application: string): string {
  let hash = 7_340_000_000_000_000_000n;
  for (const ch of application) hash = (hash * 31n + BigInt(ch.charCodeAt(0))) % 9_000_000_000_000_000_000n;
  return String(hash + 1_000_000_000_000_000_000n);
}

/**
 * A demotion token as CloudNativePG writes it: base64 of the JSON of pg_controldata's shutdown
 * checkpoint (pkg/utils/parser.go `PgControldataTokenContent`). The LSN grows with the time written.
 */
function cnpgToken(application: string, timeline: number, atSeconds: number): string {
  const lsn = Math.round(atSeconds * 16_384);
  const hex = (n: number): string => n.toString(16).toUpperCase();
  const content = {
    latestCheckpointTimelineID: String(timeline),
    redoWalFile: `${hex(timeline).padStart(8, '0')}${'0'.repeat(8)}${hex(Math.floor(lsn / 16_777_216)).padStart(8, '0')}`,
    databaseSystemIdentifier: cnpgSystemId(application),
    latestCheckpointREDOLocation: `0/${hex(lsn)}`,
    timeOfLatestCheckpoint: new Date(atSeconds * 1000).toUTCString(),
    operatorVersion: '1.27.0',
  };
  return Buffer.from(JSON.stringify(content), 'utf8').toString('base64');
}

function parseCnpgToken(token: string): CnpgToken | undefined {
  try {
    const content = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Record<string, unknown>;
    const system = content['databaseSystemIdentifier'];
    const timeline = Number(content['latestCheckpointTimelineID']);
    if (typeof system !== 'string' || !Number.isInteger(timeline)) return undefined;
    return { databaseSystemIdentifier: system, timeline };
  } catch {
    return undefined;
  }
}

/** A replica that starts replicating from `sourceRegion` with all it lacked made up: only `lagSeconds` behind. */
function replicateAfresh(db: DatabaseSim, sourceRegion: string | undefined, lagSeconds: number): void {
  db.sourceRegion = sourceRegion;
  db.lagSeconds = lagSeconds;
  db.missedSeconds = 0;
  db.stalledSince = undefined;
}
