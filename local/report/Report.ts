import type { AwsCallRecord } from '../twin/types.ts';

/**
 * The report of one simulation (contract version 1, as `lifeboat simulate --json` prints it).
 * Fields beyond the contract's are additions, never changes: `version`, `description`, `until`,
 * `applications`, `timeline`, `events`, `series`, per-entry `application` in `dns` and `writers`.
 */
export interface Report {
  readonly version: 1;
  readonly scenario: string;
  readonly description?: string;
  /** Virtual seconds the scenario ran for. */
  readonly until: number;
  readonly executions: readonly ReportExecution[];
  /** The RTO of the first application that lost service (null when none lost it or none got it back). */
  readonly rtoSeconds: number | null;
  /** The RPO of that application: replica lag at promotion (null when nothing was promoted). */
  readonly rpoSeconds: number | null;
  /** RTO, RPO and their targets for every application. */
  readonly applications: Readonly<Record<string, ReportApplication>>;
  readonly world: { readonly regions: Readonly<Record<string, ReportRegion>> };
  readonly ledger: readonly Readonly<Record<string, unknown>>[];
  readonly slack: readonly ReportSlackMessage[];
  readonly dns: readonly {
    readonly at: number;
    readonly application: string;
    readonly answers: readonly string[];
  }[];
  readonly writers: readonly {
    readonly at: number;
    readonly application: string;
    readonly regions: readonly string[];
  }[];
  /** What happened in the world, in order: faults, health checks, alarms, deliveries, DNS, databases, scaling. */
  readonly timeline: readonly ReportTimelineEntry[];
  /** Alarm state-change events delivered to control-plane buses. */
  readonly events: readonly ReportEvent[];
  /** One line per broken safety invariant, `invariant N at T s: …`; empty in a correct run. */
  readonly violations: readonly string[];
  /**
   * Every AWS call the functions made, as the AWS twin checked it: against AWS's API model and the
   * calling role's IAM policies (absent when the rehearsal ran at the port level).
   */
  readonly awsCalls?: readonly AwsCallRecord[];
  /** DNS weights, replica lag and error rate per application, at each change (absent in older reports). */
  readonly series?: readonly ReportSeriesPoint[];
}

export interface ReportSeriesPoint {
  readonly at: number;
  readonly application: string;
  /** The weight of each region's record. */
  readonly weights: Readonly<Record<string, number>>;
  /** The lag of each region whose database is a replica. */
  readonly replicaLagSeconds: Readonly<Record<string, number>>;
  /** The error rate clients of the application see, in percent. */
  readonly errorRatePercent: number;
}

export type ReportExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'SKIPPED' | 'TIMED_OUT';

export interface ReportExecution {
  readonly workflow: string;
  readonly name: string;
  readonly status: ReportExecutionStatus;
  readonly startedAt: number;
  readonly stoppedAt: number | null;
  readonly error: string | null;
  readonly cause?: string | null;
  readonly states: readonly ReportState[];
}

export interface ReportState {
  readonly name: string;
  readonly type?: string;
  readonly enteredAt: number;
  readonly exitedAt: number | null;
  readonly status: string;
  readonly error?: string;
  readonly index?: number;
}

export interface ReportApplication {
  /** When the application's clients stopped being served (seconds), if they did. */
  readonly outageAt: number | null;
  /** When every DNS answer again named a region that serves, if it did. */
  readonly restoredAt: number | null;
  /** `restoredAt - outageAt + TTL`. */
  readonly rtoSeconds: number | null;
  readonly rpoSeconds: number | null;
  readonly rtoTargetSeconds: number;
  readonly rpoTargetSeconds: number;
  /**
   * What Lifeboat itself recorded for the first failover that restored the application (its ledger
   * record, the Slack message and the RTO metric): the RTO measured from where the failure began as
   * detection saw it (`from`: the first failed check, else the first alarm or the run's start, at
   * `measuredFromAt` seconds). The report's `rtoSeconds` is measured from the fault itself, which only
   * a rehearsal knows: the two differ by detection's granularity (a probe interval or so).
   */
  readonly recorded?: {
    readonly rtoSeconds: number | null;
    readonly from: string;
    readonly measuredFromAt: number;
  };
}

export interface ReportRegion {
  readonly healthy: boolean;
  /** The contract's single value: the weight of the first application with a record here. */
  readonly dnsWeight: number;
  /** The contract's single value: the database role of the first application here. */
  readonly database: 'writer' | 'replica' | 'standalone' | 'down';
  /** Ready replicas by `application/deployment`. */
  readonly workloads: Readonly<Record<string, number>>;
  /** Weight and database role of every application with a record here. */
  readonly applications: Readonly<Record<string, { readonly dnsWeight: number; readonly database: string }>>;
}

export interface ReportSlackMessage {
  readonly at: number;
  /** Slack's id of the message (its `ts`). */
  readonly ts?: string;
  /** A reply: the `ts` of its thread's first message, and whether it was shown in the channel too. */
  readonly thread?: { readonly ts: string; readonly broadcast: boolean };
  readonly text: string;
  readonly actions: readonly string[];
  readonly updatedAt?: number | null;
  /** An ephemeral message (chat.postEphemeral): the one user who saw it. */
  readonly onlyFor?: string;
}

export interface ReportTimelineEntry {
  readonly at: number;
  readonly kind: string;
  readonly application?: string;
  readonly region?: string;
  readonly text: string;
}

export interface ReportEvent {
  readonly at: number;
  readonly busRegion: string;
  readonly application: string;
  readonly alarmName: string;
  readonly state: string;
  readonly previousState: string;
}
