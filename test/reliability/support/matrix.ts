import type { ScenarioEvent } from '../../../local/scenario/Scenario.ts';
import { pressSlackButton } from '../../../local/simulate/localSlack.ts';
import type { SimulationContext } from '../../../local/simulate/Simulation.ts';
import type { SimulatedService } from '../../../local/world/services.ts';
import type { exampleConfigDocument } from '../../support/exampleConfig.ts';
import { rehearseObserved, type AimedFault, type Observed } from './observed.ts';

type ConfigDoc = ReturnType<typeof exampleConfigDocument>;

/**
 * ai-gateway served from us-west-2, so that its outage leaves Route 53's control plane (us-east-1)
 * up and a failed run can be started again while the source is still down. Automatic failover off:
 * every run is the one the test starts. The failback's replica build, steps and bakes are shortened
 * (the world's wall time grows with virtual time); its logic is the same.
 */
export function matrixConfig(doc: ConfigDoc): void {
  const app = doc.applications[0] as {
    regions: string[];
    automation: { automaticFailover: boolean };
    dns: { failback: { steps: number[]; bakeSeconds: number } };
    backup?: { copyToRegion?: string };
  };
  app.regions = ['us-west-2', 'us-east-1', 'eu-west-1'];
  app.automation.automaticFailover = false;
  if (app.backup !== undefined) app.backup.copyToRegion = 'us-east-1';
  app.dns.failback.steps = [50, 100];
  app.dns.failback.bakeSeconds = 60;
}

export const MATRIX_LATENCY = { rdsReplicaCreateSeconds: 120, rdsRenameSeconds: 30 };

const FAILOVER = { application: 'ai-gateway', targetRegion: 'us-east-1', reason: 'fault matrix' };
const FAILBACK = { application: 'ai-gateway', targetRegion: 'us-west-2', reason: 'fault matrix' };

/** Presses Approve on any approval of `workflow` that is waiting, every half minute, as an approver would. */
function approveEvery30s(workflow: 'failback' | 'switchover', target: string) {
  return (context: SimulationContext): void => {
    context.clock.every(30, 30, () => {
      const event = {
        at: context.clock.seconds,
        index: -1,
        kind: 'approve',
        workflow,
        target,
        by: 'U0APPROVER',
      } as unknown as Extract<ScenarioEvent, { kind: 'approve' }>;
      void pressSlackButton(event, context);
    });
  };
}

export const approveFailbacks = approveEvery30s('failback', 'us-west-2');

export interface MatrixWorkflow {
  readonly workflow: 'failover' | 'failback' | 'switchover' | 'drain';
  /** The region the workflow moves ai-gateway's traffic to. */
  readonly target: string;
  /**
   * After a run that failed once its change was accepted: what refuses a second start, and the
   * regions DNS then answers with (`failed-done`).
   */
  readonly done: {
    readonly application: string;
    readonly cause: string;
    readonly answers: readonly string[];
  };
  /** When the run under test starts. */
  readonly startAt: number;
  /** A permanent fault lasts until here; the same workflow is then started again. */
  readonly faultGoneAt: number;
  readonly restartAt: number;
  readonly until: number;
  readonly untilWithRestart: number;
  readonly run: (faults: readonly AimedFault[], restart: boolean) => Promise<Observed>;
}

/** us-west-2 goes down and stays down; the failover to us-east-1 starts two minutes in. */
export const failoverUnderTest: MatrixWorkflow = {
  workflow: 'failover',
  done: { application: 'ai-gateway', cause: 'already serves', answers: ['us-east-1'] },
  target: 'us-east-1',
  startAt: 120,
  faultGoneAt: 900,
  restartAt: 1000,
  until: 900,
  untilWithRestart: 1800,
  run: (faults, restart) =>
    rehearseObserved({
      events: [
        { at: 0, fault: 'region-outage', region: 'us-west-2' },
        { at: 120, start: 'failover', input: FAILOVER },
        ...(restart ? [{ at: 1000, start: 'failover', input: FAILOVER }] : []),
      ],
      until: restart ? 1800 : 900,
      config: matrixConfig,
      latency: MATRIX_LATENCY,
      faults,
    }),
};

/** After that failover and us-west-2's return, the failback to us-west-2, approved on Slack. */
export const failbackUnderTest: MatrixWorkflow = {
  workflow: 'failback',
  done: { application: 'ai-gateway', cause: 'already serves', answers: ['us-west-2'] },
  target: 'us-west-2',
  startAt: 1000,
  faultGoneAt: 2300,
  restartAt: 2400,
  until: 2700,
  untilWithRestart: 3900,
  run: (faults, restart) =>
    rehearseObserved({
      events: [
        ...failedOverAndRecovered(),
        { at: 1000, start: 'failback', input: FAILBACK },
        ...(restart ? [{ at: 2400, start: 'failback', input: FAILBACK }] : []),
      ],
      until: restart ? 3900 : 2700,
      config: matrixConfig,
      latency: MATRIX_LATENCY,
      faults,
      setup: approveFailbacks,
    }),
};

const SWITCHOVER = { application: 'ai-gateway', targetRegion: 'us-east-1', reason: 'fault matrix' };

/**
 * No outage: ai-gateway, served from us-west-2, switched over to us-east-1 at 60 s and approved on
 * Slack. The target is a caught-up replica and nothing is fenced: the guarded move from a healthy
 * primary, not the return after a failover.
 */
export const switchoverUnderTest: MatrixWorkflow = {
  workflow: 'switchover',
  done: { application: 'ai-gateway', cause: 'already serves', answers: ['us-east-1'] },
  target: 'us-east-1',
  startAt: 60,
  faultGoneAt: 1400,
  restartAt: 1500,
  until: 1800,
  untilWithRestart: 3000,
  run: (faults, restart) =>
    rehearseObserved({
      events: [
        { at: 60, start: 'switchover', input: SWITCHOVER },
        ...(restart ? [{ at: 1500, start: 'switchover', input: SWITCHOVER }] : []),
      ],
      until: restart ? 3000 : 1800,
      config: matrixConfig,
      latency: MATRIX_LATENCY,
      faults,
      setup: approveEvery30s('switchover', 'us-east-1'),
    }),
};

const DRAIN = { application: 'inference-api', region: 'us-east-1', reason: 'fault matrix' };

/**
 * The active-active example's inference-api: us-east-1 drained at 60 s (no approval, a minute's
 * bake), its Aurora writer moved to us-west-2 after the last step.
 */
export const drainUnderTest: MatrixWorkflow = {
  workflow: 'drain',
  target: 'us-west-2',
  done: {
    application: 'inference-api',
    cause: 'us-east-1 is already drained',
    answers: ['us-west-2', 'eu-west-1'],
  },
  startAt: 60,
  faultGoneAt: 1500,
  restartAt: 1600,
  until: 1500,
  untilWithRestart: 3000,
  run: (faults, restart) =>
    rehearseObserved({
      configFile: 'examples/active-active.config.json',
      config: (doc) => {
        const app = doc.applications[0] as {
          activeActive: { approval: string };
          dns: { failback: { bakeSeconds: number } };
        };
        app.activeActive.approval = 'none';
        app.dns.failback.bakeSeconds = 60;
      },
      events: [
        { at: 60, start: 'drain', input: DRAIN },
        ...(restart ? [{ at: 1600, start: 'drain', input: DRAIN }] : []),
      ],
      until: restart ? 3000 : 1500,
      faults,
    }),
};

/**
 * us-west-2 (ai-gateway's primary under matrixConfig) down at 0 s, the failover to us-east-1 started
 * at 120 s (`reason` says why), us-west-2 back at 700 s: where a failback can start from 1000 s.
 */
export function failedOverAndRecovered(
  reason = FAILOVER.reason,
): ({ at: number } & Record<string, unknown>)[] {
  return [
    { at: 0, fault: 'region-outage', region: 'us-west-2' },
    { at: 120, start: 'failover', input: { ...FAILOVER, reason } },
    { at: 700, recover: 'region-outage', region: 'us-west-2' },
  ];
}

/** A permanent error of each class, chosen per service as its API names them. */
export const PERMANENT_ERRORS: Readonly<
  Record<SimulatedService, { denied: string; notFound: string; invalidState: string }>
> = {
  route53: { denied: 'AccessDenied', notFound: 'NoSuchHealthCheck', invalidState: 'InvalidChangeBatch' },
  rds: {
    denied: 'AccessDenied',
    notFound: 'DBInstanceNotFoundFault',
    invalidState: 'InvalidDBInstanceStateFault',
  },
  eks: {
    denied: 'AccessDeniedException',
    notFound: 'ResourceNotFoundException',
    invalidState: 'InvalidRequestException',
  },
  elasticache: {
    denied: 'AccessDenied',
    notFound: 'GlobalReplicationGroupNotFoundFault',
    invalidState: 'InvalidGlobalReplicationGroupState',
  },
  kubernetes: { denied: 'Forbidden', notFound: 'NotFound', invalidState: 'Invalid' },
  lambda: {
    denied: 'AccessDeniedException',
    notFound: 'ResourceNotFoundException',
    invalidState: 'ResourceConflictException',
  },
  cloudwatch: { denied: 'AccessDenied', notFound: 'ResourceNotFound', invalidState: 'InvalidParameterValue' },
  dynamodb: {
    denied: 'AccessDeniedException',
    notFound: 'ResourceNotFoundException',
    invalidState: 'ConditionalCheckFailedException',
  },
  sfn: {
    denied: 'AccessDeniedException',
    notFound: 'StateMachineDoesNotExist',
    invalidState: 'InvalidToken',
  },
  slack: { denied: 'not_authed', notFound: 'channel_not_found', invalidState: 'is_archived' },
  events: {
    denied: 'AccessDeniedException',
    notFound: 'ResourceNotFoundException',
    invalidState: 'InvalidEventPatternException',
  },
};
