import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { IncidentEvent, IncidentPhase, SlackThread } from '../ports/Estate.ts';
import type { MovingWorkflow } from '../ports/Estate.ts';

/**
 * The failover's replies in its incident thread, one per phase reached, in Slack's formatting
 * (https://docs.slack.dev/messaging/formatting-message-text): fenced, promoted, workloads ready and
 * traffic moved. The run's first message, "service restored" and its end are posted from the state
 * machine's own text. Each reads the step results the state document holds by then.
 */

export const FAILOVER_PHASES = [
  'fenced',
  'promoted',
  'workloads-ready',
  'traffic-moved',
  'replicas',
] as const;
export type FailoverPhase = (typeof FAILOVER_PHASES)[number];

/** The parts of the failover's state document the phase messages read. */
export interface PhaseState {
  readonly request?: {
    readonly application?: string;
    readonly sourceRegion?: string;
    readonly targetRegion?: string;
  };
  readonly thread?: { readonly ts?: unknown } | null;
  readonly fence?: {
    readonly fenced?: readonly string[];
    readonly unfenced?: readonly string[];
    readonly unreachable?: readonly string[];
  };
  readonly promotion?: { readonly lagSeconds?: number | null };
  readonly database?: { readonly role?: string };
  readonly workloads?: { readonly deployments?: Readonly<Record<string, string>> };
  readonly dns?: { readonly changeId?: string; readonly weights?: Readonly<Record<string, number>> };
  /** FollowWriter's result: where each other region's database stands against the new writer. */
  readonly replicas?: {
    readonly writer?: string;
    readonly followers?: readonly {
      readonly region: string;
      readonly state: string;
      readonly detail: string;
    }[];
    readonly error?: { readonly Cause?: string };
  };
}

/**
 * The thread a run's message replies in: the ts its first message was given (the failover's
 * `$.thread.ts`), or the message of the approval it went ahead on (the failback's
 * `$.approval.messageTs`); none when there is no such message (the reply then stands in the channel
 * on its own).
 */
export function threadOf(
  thread: { readonly ts?: unknown; readonly messageTs?: unknown } | null | undefined,
  broadcast = false,
): SlackThread | undefined {
  const ts = thread?.ts ?? thread?.messageTs;
  return typeof ts === 'string' && ts !== '' ? { ts, broadcast } : undefined;
}

/** The thread of a run, from its state document: its own (`$.thread`) or its approval's. */
export function runThread(
  state: {
    readonly thread?: { readonly ts?: unknown } | null;
    readonly approval?: { readonly messageTs?: unknown } | null;
  },
  broadcast = false,
): SlackThread | undefined {
  return threadOf(state.thread ?? state.approval, broadcast);
}

/** CheckWorkloads' `6/4 ready` (ready pods / the minimum) in words. */
function readyText(ready: string): string {
  const match = /^(\d+)\/(\d+) ready$/.exec(ready);
  return match === null ? ready : `${match[1] ?? '?'} pods ready (${match[2] ?? '?'} needed)`;
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}

/** The reply for a phase the run has reached. */
export function phaseMessage(
  phase: FailoverPhase,
  state: PhaseState,
  app: ApplicationConfig | undefined,
): string {
  const target = state.request?.targetRegion ?? 'the target';
  switch (phase) {
    case 'fenced': {
      const fenced = state.fence?.fenced ?? [];
      const unreachable = state.fence?.unreachable ?? [];
      return [
        fenced.length === 0
          ? `*Fenced:* no other record needed a fence; ${target}'s record is open.`
          : `*Fenced* ${list(fenced)}: Route 53 stops answering with ${fenced.length === 1 ? 'it' : 'them'} within about two minutes, whatever the weights. ${target}'s record is open.`,
        ...(unreachable.length === 0 ? [] : [`Could not vote the fence of ${unreachable.join('; ')}.`]),
        `Now promoting the database in ${target} and scaling its workloads, side by side.`,
      ].join('\n');
    }
    case 'promoted': {
      const lag = state.promotion?.lagSeconds;
      const budget = app?.targets.rpoSeconds;
      const atRisk =
        lag === undefined || lag === null
          ? 'the writes left behind in the source could not be measured'
          : `about ${lag} s of the source's last writes may be missing${budget === undefined ? '' : ` (RPO target ${budget} s)`}`;
      return `*Database promoted:* ${target}'s database takes writes (${state.database?.role ?? 'writer'}); ${atRisk}.`;
    }
    case 'workloads-ready': {
      const deployments = Object.entries(state.workloads?.deployments ?? {});
      return deployments.length === 0
        ? `*Workloads ready* in ${target} (no deployments to wait for).`
        : `*Workloads ready* in ${target}: ${deployments.map(([name, ready]) => `\`${name}\` ${readyText(ready)}`).join(', ')}.`;
    }
    case 'traffic-moved': {
      const weights = Object.entries(state.dns?.weights ?? {})
        .map(([region, weight]) => `${region}=${weight}`)
        .join(', ');
      const change = state.dns?.changeId === undefined ? '' : `, change \`${state.dns.changeId}\``;
      return `*Traffic moved:* Route 53 applied the weights ${weights} (in sync${change}). Next: verifying ${target} from the outside.`;
    }
    case 'replicas': {
      const followers = state.replicas?.followers ?? [];
      const cause = state.replicas?.error?.Cause;
      if (cause !== undefined)
        return `*Replicas:* could not make the other regions' databases follow ${target}: ${cause}`;
      if (followers.length === 0) return `*Replicas:* ${target} has no other region's database to follow it.`;
      return [
        `*Replicas* of the new writer in ${target}:`,
        ...followers.map((f) => `• ${f.region} (${f.state}): ${f.detail}`),
      ].join('\n');
    }
  }
}

/** A planned move's updates (a failback, a switchover): only its failure is urgent. */
const PLANNED_SEVERITY: Readonly<Record<IncidentPhase, IncidentEvent['severity']>> = {
  started: 'info',
  restored: 'info',
  succeeded: 'info',
  declined: 'info',
  'rolled-back': 'warning',
  failed: 'critical',
  stopped: 'warning',
  'timed-out': 'warning',
};

/** How urgent each update is for a pager, by workflow: a failover is an outage, a failback or switchover planned. */
const SEVERITY: Readonly<Record<MovingWorkflow, Readonly<Record<IncidentPhase, IncidentEvent['severity']>>>> =
  {
    failover: {
      started: 'critical',
      restored: 'warning',
      succeeded: 'info',
      declined: 'warning',
      'rolled-back': 'warning',
      failed: 'critical',
      stopped: 'critical',
      'timed-out': 'critical',
    },
    failback: PLANNED_SEVERITY,
    switchover: PLANNED_SEVERITY,
  };

/** The first line of a Slack message as plain text, for a pager's summary (1,024 characters at most). */
function summaryOf(text: string): string {
  const line = (text.split('\n')[0] ?? '').replace(/[*`]/g, '').trim();
  return line.length <= 1024 ? line : `${line.slice(0, 1023)}…`;
}

/** A run's incident update, built from the message it posts on Slack. */
export function incidentEvent(options: {
  readonly phase: IncidentPhase;
  readonly workflow: MovingWorkflow;
  readonly execution: string;
  readonly request?: {
    readonly application?: string;
    readonly sourceRegion?: string;
    readonly targetRegion?: string;
  };
  readonly text: string;
  readonly region: string;
  readonly at: Date;
}): IncidentEvent {
  const { phase, workflow, execution, request } = options;
  return {
    application: request?.application ?? 'unknown',
    workflow,
    execution,
    phase,
    severity: SEVERITY[workflow][phase],
    ...(request?.sourceRegion === undefined ? {} : { sourceRegion: request.sourceRegion }),
    ...(request?.targetRegion === undefined ? {} : { targetRegion: request.targetRegion }),
    region: options.region,
    summary: summaryOf(options.text),
    dedupKey: `lifeboat:${workflow}:${execution}`,
    at: options.at.toISOString(),
  };
}
