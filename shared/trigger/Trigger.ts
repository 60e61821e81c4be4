import type { LifeboatConfig } from '../config/LifeboatConfig.ts';
import { detectionSignals } from '../config/naming.ts';
import { currentPrimary } from '../failover/currentPrimary.ts';
import { regionHealth, signalsDownOrRetry, signalStates } from '../failover/regionHealth.ts';
import type { Clock } from '../ports/Clock.ts';
import type { Estate } from '../ports/Estate.ts';
import type { Ledger } from '../ports/Ledger.ts';
import { chooseStandby, preScaleStandby } from './preScale.ts';

/** The part of an EventBridge "CloudWatch Alarm State Change" event the trigger reads. */
export interface AlarmStateChange {
  readonly detail: { readonly alarmName: string; readonly state: { readonly value: string } };
}

export interface WorkflowStarter {
  /** StartExecution; resolves `already-started` when the name is taken (by this incident). */
  start(
    workflow: 'failover',
    name: string,
    input: Record<string, unknown>,
  ): Promise<'started' | 'already-started'>;
}

export interface TriggerDeps {
  readonly config: LifeboatConfig;
  readonly estate: Estate;
  readonly ledger: Ledger;
  readonly clock: Clock;
  /** The region this control plane runs in: it starts only the failovers that move traffic here. */
  readonly region: string;
  readonly starter: WorkflowStarter;
}

export type TriggerOutcome =
  | {
      readonly action: 'started' | 'already-started';
      readonly execution: string;
      readonly application: string;
      readonly targetRegion: string;
    }
  | { readonly action: 'ignored'; readonly reason: string };

/**
 * Why an event is not an alarm state change the trigger can read, naming the field; EventBridge
 * delivers whatever matched the rule, so a malformed event is ignored before anything is read or written.
 */
function malformed(event: unknown): string | undefined {
  const detail = (event as { detail?: unknown } | null)?.detail;
  if (detail === null || typeof detail !== 'object') return 'the event has no detail object';
  const { alarmName, state } = detail as { alarmName?: unknown; state?: unknown };
  if (typeof alarmName !== 'string' || alarmName === '') return 'detail.alarmName is not a string';
  const value = (state as { value?: unknown } | null)?.value;
  if (typeof value !== 'string' || value === '') return `detail.state.value of ${alarmName} is not a string`;
  return undefined;
}

/** `2030-01-01T00:00:30.000Z` → `20300101T000030Z`: a stable part of an execution name. */
function compactTime(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Takes an alarm state change from the `lifeboat` bus and starts a failover when an application's
 * serving region is down by a quorum of signals: at most one execution per incident, named after it.
 */
export async function handleAlarmEvent(event: AlarmStateChange, deps: TriggerDeps): Promise<TriggerOutcome> {
  const odd = malformed(event);
  if (odd !== undefined) return { action: 'ignored', reason: odd };
  const all = detectionSignals(deps.config);
  const signal = all.find((s) => s.alarmName === event.detail.alarmName);
  if (signal === undefined)
    return {
      action: 'ignored',
      reason: `${event.detail.alarmName} is not a Lifeboat detection alarm of this config`,
    };
  const app = deps.config.applications.find((a) => a.name === signal.application);
  if (app === undefined) return { action: 'ignored', reason: `no application ${signal.application}` };
  // Every signal's change updates the region's recorded health; the failback offers to return traffic
  // once the old primary has stayed OK long enough.
  const health = await regionHealth(deps.config, app, signal.region, deps.estate);
  await deps.ledger.recordHealth({
    application: app.name,
    region: signal.region,
    state: health.status === 'healthy' ? 'OK' : 'ALARM',
    since: deps.clock.now().toISOString(),
  });
  if (event.detail.state.value !== 'ALARM') {
    return { action: 'ignored', reason: `${signal.alarmName} is ${event.detail.state.value}` };
  }
  if (!app.automation.automaticFailover)
    return { action: 'ignored', reason: `automatic failover is off for ${app.name}` };

  const serving = await currentPrimary(app, deps.estate, deps.ledger);
  if (signal.region !== serving) {
    return { action: 'ignored', reason: `${signal.region} does not serve ${app.name} (${serving} does)` };
  }
  if (app.automation.preScaleOnFirstSignal) {
    // Readiness starts now rather than after the confirmation window; a failed attempt is left to
    // the failover's own scaling steps.
    await preScaleStandby(deps.config, app, serving, deps.region, deps.estate, {
      now: deps.clock.now(),
    }).catch(() => undefined);
  }
  const states = await signalStates(
    all.filter((s) => s.application === app.name && s.region === serving),
    deps.estate,
  );
  // Debounce: the alarm that sent this event must still be in ALARM.
  if (states.find((s) => s.signal.alarmName === signal.alarmName)?.state === 'OK') {
    return { action: 'ignored', reason: `${signal.alarmName} has already cleared` };
  }
  // A transient failure to read a signal that decides the quorum throws: Lambda retries the event.
  const alarming = signalsDownOrRetry(states, serving, app.detection.quorum);
  if (alarming.length < app.detection.quorum) {
    return {
      action: 'ignored',
      reason: `${alarming.length} of ${states.length} signals for ${serving} in ALARM; quorum is ${app.detection.quorum}`,
    };
  }
  const startedAt =
    alarming.map((s) => s.updatedAt ?? deps.clock.now().toISOString()).sort()[0] ??
    deps.clock.now().toISOString();
  // Where the failure began as the alarms saw it: the RTO is measured from here.
  const failingSince = alarming
    .map((s) => s.breachingSince)
    .filter((t): t is string => t !== undefined && t <= startedAt)
    .sort()[0];
  const choice = await chooseStandby(deps.config, app, serving, deps.estate, {
    now: deps.clock.now(),
    failureBeganAt: failingSince ?? startedAt,
  });
  if (choice === undefined) return { action: 'ignored', reason: `no healthy standby for ${app.name}` };
  const target = choice.target;
  if (target !== deps.region) {
    return {
      action: 'ignored',
      reason: `the failover of ${app.name} moves traffic to ${target}; its control plane starts it`,
    };
  }
  const name = `auto-${app.name}-${serving}-${compactTime(startedAt)}`.slice(0, 80);
  const outcome = await deps.starter.start('failover', name, {
    application: app.name,
    targetRegion: target,
    sourceRegion: serving,
    mode: 'automatic',
    ...(choice.why === undefined
      ? {}
      : {
          reason: `automatic: ${alarming.map((s) => s.signal.alarmName).join(', ')}; ${choice.why}`.slice(
            0,
            500,
          ),
        }),
    incident: {
      startedAt,
      ...(failingSince === undefined ? {} : { failingSince }),
      signals: alarming.map((s) => s.signal.alarmName),
    },
  });
  return { action: outcome, execution: name, application: app.name, targetRegion: target };
}
