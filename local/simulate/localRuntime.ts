import { ApprovalSteps } from '../../shared/approval/ApprovalSteps.ts';
import { classifyError } from '../../shared/errors.ts';
import { offerFailbacks } from '../../shared/failback/FailbackOffer.ts';
import { FailbackSteps } from '../../shared/failback/FailbackSteps.ts';
import { DrainSteps } from '../../shared/drain/DrainSteps.ts';
import { FailoverSteps } from '../../shared/failover/FailoverSteps.ts';
import {
  runWorkflowStep,
  STEP_FUNCTION_NAMES,
  type StepTargets,
} from '../../shared/runtime/workflowSteps.ts';
import { handleAlarmEvent } from '../../shared/trigger/Trigger.ts';
import { stateMachineName } from '../../shared/config/naming.ts';
import { handleExecutionEnded } from '../../shared/ledger/runEnded.ts';
import type { VirtualClock } from '../clock/VirtualClock.ts';
import type { ExecutionRecord, LocalFunction } from '../runner/WorkflowRunner.ts';
import { worldEstate } from '../world/WorldEstate.ts';
import { pressSlackButton } from './localSlack.ts';
import { evacuationFunctions } from './evacuationRuntime.ts';
import { scheduledFunctions } from './scheduledRuntime.ts';
import { fireSchedules } from './scheduleRuns.ts';
import { lifeboatSchedules } from '../../shared/backup/schedule.ts';
import type { SimulationContext, SimulationOptions } from './Simulation.ts';

/** The states after which a failover, failback or switchover acts on the estate (invariant 4 keeps them apart). */
export const ACTING_STATES: Readonly<Record<string, readonly string[]>> = {
  failover: ['FenceSource', 'PromoteDatabase', 'ScaleNodeGroups', 'ShiftTraffic'],
  failback: ['PrepareReplica', 'ScaleNodeGroups', 'UnfenceTarget', 'ShiftStep', 'SwitchWriter'],
  switchover: ['PrepareReplica', 'ScaleNodeGroups', 'UnfenceTarget', 'ShiftStep', 'SwitchWriter'],
  drain: ['ScaleForDrain', 'DrainStep', 'ScaleBack'],
};

/** How often the failback offer runs in each region (its EventBridge Scheduler rate). */
export const OFFER_INTERVAL_SECONDS = 300;

/** The steps as they run in one region's Lambda functions: that region's ledger replica. */
function stepsIn(context: SimulationContext, region: string): StepTargets {
  const { scenario, world, clock, ledgerIn, approvals } = context;
  const deps = {
    config: scenario.config,
    estate: worldEstate(world, { channel: scenario.config.slack.channelId }),
    ledger: ledgerIn(region),
    ledgerIn,
    clock,
    region,
  };
  return {
    failover: new FailoverSteps(deps),
    failback: new FailbackSteps(deps),
    drain: new DrainSteps(deps),
    approval: new ApprovalSteps({ ...deps, approvals, notifier: deps.estate.notifier }),
  };
}

interface PayloadRegions {
  readonly request?: { readonly targetRegion?: string };
  readonly state?: {
    readonly request?: { readonly targetRegion?: string };
    readonly validated?: { readonly request?: { readonly targetRegion?: string } };
    readonly targetRegion?: unknown;
  };
  readonly input?: { readonly targetRegion?: unknown };
}

/** Step Functions' "Execution Status Change" event for an execution that ended. */
export function executionStatusChange(
  record: ExecutionRecord,
  region: string,
  clock: VirtualClock,
  account = '000000000000',
): unknown {
  const arn = `arn:aws:states:${region}:${account}`;
  return {
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: {
      executionArn: `${arn}:execution:${stateMachineName(record.workflow)}:${record.name}`,
      stateMachineArn: `${arn}:stateMachine:${stateMachineName(record.workflow)}`,
      name: record.name,
      status: record.status,
      startDate: new Date(clock.secondsToIso(record.startedAt)).getTime(),
      stopDate: new Date(clock.secondsToIso(record.stoppedAt ?? clock.seconds)).getTime(),
      input: JSON.stringify(record.input),
      error: record.error,
      cause: record.cause,
    },
  };
}

/** The region a failover step runs in: its run's target region (a failover runs where it moves traffic to). */
export function regionOf(payload: unknown, fallback: string): string {
  const p = payload as PayloadRegions | null;
  const fromInput = typeof p?.input?.targetRegion === 'string' ? p.input.targetRegion : undefined;
  const fromState = typeof p?.state?.targetRegion === 'string' ? p.state.targetRegion : undefined;
  return (
    p?.request?.targetRegion ??
    p?.state?.request?.targetRegion ??
    p?.state?.validated?.request?.targetRegion ??
    fromInput ??
    fromState ??
    fallback
  );
}

/**
 * Lifeboat's functions on the local runtime: each Lambda of the failover bound to the same step
 * operation its handler runs in AWS, with its errors classified the same way; the trigger listening
 * on every control-plane region's bus; the backup, restore-test and readiness-drill schedules the
 * stacks create (`lifeboatSchedules`) firing on the virtual clock.
 */
export function localRuntime(): Pick<
  SimulationOptions,
  'functions' | 'substitutions' | 'actingStates' | 'lockingWorkflows' | 'setup' | 'onHumanAction'
> {
  return {
    functions: (context) => {
      const regions = context.scenario.config.controlPlaneRegions;
      const home = regions[0] ?? 'us-east-1';
      const steps = new Map(regions.map((r) => [r, stepsIn(context, r)]));
      const functions: Record<string, LocalFunction> = {
        ...scheduledFunctions(context),
        ...evacuationFunctions(context),
      };
      for (const name of STEP_FUNCTION_NAMES) {
        functions[name] = async (payload) => {
          try {
            const region = regionOf(payload, home);
            return await runWorkflowStep(name, payload, steps.get(region) ?? stepsIn(context, home));
          } catch (error) {
            throw classifyError(error);
          }
        };
      }
      return functions;
    },
    substitutions: () => ({}),
    actingStates: ACTING_STATES,
    lockingWorkflows: ['failover', 'failback', 'switchover', 'drain'],
    onHumanAction: (event, context) => pressSlackButton(event, context),
    setup: (context) => {
      const { scenario, world, clock, ledgerIn } = context;
      const estate = worldEstate(world, { channel: scenario.config.slack.channelId });
      // The failback offer: a schedule in every control-plane region, each offering only to itself.
      clock.every(OFFER_INTERVAL_SECONDS, OFFER_INTERVAL_SECONDS, () => {
        for (const region of scenario.config.controlPlaneRegions) {
          if (world.faults.isOutage(region)) continue;
          // Not tracked as a whole: its calls take virtual time; its ledger I/O is tracked per call.
          void offerFailbacks({
            config: scenario.config,
            estate,
            ledger: ledgerIn(region),
            approvals: context.approvals,
            clock,
            region,
          }).then(
            (outcomes) => {
              for (const o of outcomes) {
                if (o.action === 'offered' || o.action === 'slack-unavailable')
                  world.timeline.push({
                    at: clock.seconds,
                    kind: 'slack',
                    application: o.application,
                    region,
                    text: `failback offer: ${o.detail}`,
                  });
              }
            },
            (error: unknown) => {
              world.timeline.push({
                at: clock.seconds,
                kind: 'slack',
                region,
                text: `failback offer in ${region} failed: ${(error as Error).message}`,
              });
            },
          );
        }
      });

      // The backup, restore-test and readiness-drill schedules of every control plane: Scheduler
      // starts the region's state machine with the schedule's input, as a `start` event does.
      fireSchedules(world, clock, scenario.until, lifeboatSchedules(scenario.config), (schedule, time) => {
        const record = context.runner().start(schedule.workflow, schedule.input(time));
        return Promise.resolve(`started ${record.name}`);
      });

      // Step Functions' status change of a run that ended stopped, timed out or failed reaches the
      // run-ended function in the run's region, as EventBridge delivers it.
      context.runner().onEnd((record) => {
        if (record.status !== 'ABORTED' && record.status !== 'TIMED_OUT' && record.status !== 'FAILED')
          return;
        // A run whose input named no control-plane region (refused at once) ran in the first one.
        const named = regionOf({ input: record.input }, '');
        const region = scenario.config.controlPlaneRegions.includes(named)
          ? named
          : (scenario.config.controlPlaneRegions[0] ?? 'us-east-1');
        const event = executionStatusChange(record, region, clock);
        clock.schedule(clock.seconds + world.latency.eventBridgeDeliverySeconds, () => {
          handleExecutionEnded(event, { ledger: ledgerIn(region), clock }).then(
            (outcome) => {
              if (outcome.action === 'recorded') {
                world.timeline.push({
                  at: clock.seconds,
                  kind: 'execution',
                  region,
                  text: `run-ended in ${region} recorded ${record.workflow} ${record.name} ${outcome.status} (lock ${outcome.lock})`,
                });
              }
            },
            (error: unknown) => {
              world.timeline.push({
                at: clock.seconds,
                kind: 'execution',
                region,
                text: `run-ended in ${region} failed for ${record.name}: ${(error as Error).message}`,
              });
            },
          );
        });
      });

      world.onEvent((delivered) => {
        const deps = {
          config: scenario.config,
          estate,
          ledger: ledgerIn(delivered.busRegion),
          clock,
          region: delivered.busRegion,
          starter: {
            start: (workflow: 'failover', name: string, input: Record<string, unknown>) => {
              const runner = context.runner();
              const before = runner.executions.length;
              try {
                runner.start(workflow, input, name);
              } catch (error) {
                if ((error as Error).name === 'ExecutionAlreadyExists')
                  return Promise.resolve('already-started' as const);
                throw error;
              }
              return Promise.resolve(
                runner.executions.length > before ? ('started' as const) : ('already-started' as const),
              );
            },
          },
        };
        // EventBridge invokes the trigger asynchronously: Lambda retries a failed invocation twice,
        // about a minute and then two minutes later.
        const invoke = (attempt: number): void => {
          handleAlarmEvent(delivered.event, deps).then(
            (outcome) => {
              if (outcome.action === 'started') {
                world.timeline.push({
                  at: clock.seconds,
                  kind: 'execution',
                  application: outcome.application,
                  region: delivered.busRegion,
                  text: `trigger in ${delivered.busRegion} started ${outcome.execution}`,
                });
              }
            },
            (error: unknown) => {
              const retryIn = [60, 120][attempt];
              world.timeline.push({
                at: clock.seconds,
                kind: 'execution',
                region: delivered.busRegion,
                text: `trigger in ${delivered.busRegion} failed: ${(error as Error).message}${retryIn === undefined ? '' : `; retried in ${retryIn} s`}`,
              });
              if (retryIn !== undefined)
                clock.schedule(clock.seconds + retryIn, () => {
                  invoke(attempt + 1);
                });
            },
          );
        };
        invoke(0);
      });
    },
  };
}
