import { WORKFLOW_NAMES } from '../world/services.ts';
import { checkRestoreTestInput } from '../../shared/backup/RestoreTestSteps.ts';
import { scheduledApplication } from '../../shared/backup/BackupSteps.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { checkDrillInput } from '../../shared/drill/DrillSteps.ts';
import { checkDrainInput } from '../../shared/drain/DrainInput.ts';
import { checkEvacuationInput } from '../../shared/evacuation/EvacuationSteps.ts';
import { checkFailbackInput } from '../../shared/failback/FailbackInput.ts';
import { checkFailoverInput } from '../../shared/failover/FailoverInput.ts';

/** Every workflow a person can start, by its state machine's name (`lifeboat-<name>`). */
export const WORKFLOWS = WORKFLOW_NAMES;
export type WorkflowName = (typeof WORKFLOW_NAMES)[number];

/** What a workflow's first step knows besides its input. */
export interface InputContext {
  readonly now: Date;
  /** The region serving the application now; its first region when unknown. */
  readonly currentPrimary: string | undefined;
  /** The region the state machine runs in, when it matters to the check. */
  readonly region?: string;
  /** The application's Route 53 weights now; for a drain, every region serving when unknown. */
  readonly weights?: Readonly<Record<string, number>>;
}

/**
 * Each workflow's input check: the very function its state machine's first step (ValidateInput)
 * runs. Throws InvalidInputError naming every wrong field; returns the checked request.
 */
export const INPUT_CHECKS: Readonly<
  Record<WorkflowName, (raw: unknown, config: LifeboatConfig, context: InputContext) => object>
> = {
  failover: (raw, config, { now, currentPrimary, region }) =>
    checkFailoverInput(raw, config, {
      now,
      currentPrimary: (app) => currentPrimary ?? app.regions[0] ?? '',
      ...(region === undefined ? {} : { region }),
    }),
  failback: (raw, config, { currentPrimary, region }) =>
    checkFailbackInput(raw, config, { currentPrimary, ...(region === undefined ? {} : { region }) }),
  switchover: (raw, config, { currentPrimary, region }) =>
    checkFailbackInput(raw, config, {
      workflow: 'switchover',
      currentPrimary,
      ...(region === undefined ? {} : { region }),
    }),
  backup: (raw, config, { now }) => {
    const { app, slot } = scheduledApplication(config, raw, now);
    return { application: app.name, slot };
  },
  'restore-test': (raw, config, { now }) => checkRestoreTestInput(raw, config, now),
  drill: (raw, config, { currentPrimary }) => checkDrillInput(raw, config, { currentPrimary }),
  drain: (raw, config, { region, weights }) => {
    const named = (raw as { application?: unknown } | null)?.application;
    const app = config.applications.find((a) => a.name === named);
    return checkDrainInput(raw, config, {
      weights: weights ?? app?.activeActive?.weights ?? {},
      region: region ?? config.controlPlaneRegions[0] ?? 'us-east-1',
    });
  },
  'region-evacuation': (raw, config) => checkEvacuationInput(raw, config),
};
