import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import * as errors from '../../shared/errors.ts';
import {
  allStates,
  failStates,
  loadAsl,
  matchedErrorNames,
  operationOf,
} from '../../shared/statemachines/aslModel.ts';
import { INPUT_CHECKS, WORKFLOWS, type WorkflowName } from '../../local/inputs/workflowInputs.ts';
import { ERROR_GUIDE } from '../../local/runbook/errorGuide.ts';
import { STEP_GUIDES } from '../../local/runbook/stepGuide.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';
import { SHARED_DEFINITIONS } from '../../shared/statemachines/definitions.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const config = parseConfig(exampleConfigDocument());
const activeActiveConfig = parseConfig(
  JSON.parse(readFileSync(`${ROOT}examples/active-active.config.json`, 'utf8')) as unknown,
);
const doc = readFileSync(`${ROOT}docs/inputs.md`, 'utf8');
const ASL_FILES = readdirSync(`${ROOT}statemachines`)
  .filter((f) => f.endsWith('.asl.json'))
  .map((f) => f.replace(/\.asl\.json$/, ''));
const EXAMPLES = readdirSync(`${ROOT}examples/inputs`).filter((f) => f.endsWith('.json'));

/** The workflow an example file is for: the longest workflow name its file name starts with. */
function workflowOf(file: string): WorkflowName | undefined {
  return [...WORKFLOWS].sort((a, b) => b.length - a.length).find((w) => file.startsWith(`${w}-`));
}

/**
 * Every error a workflow can end with: the fixed errors of its Fail states, and, for the Fail
 * states that pass a caught error on, every name a Retry or Catch matches and every error the step
 * code throws (shared/errors.ts; ScenarioError belongs to the local runtime's scenario files only).
 */
function endErrors(): string[] {
  const names = new Set<string>();
  for (const workflow of ASL_FILES) {
    const machine = loadAsl(workflow);
    for (const fail of failStates(machine)) if (fail.error !== undefined) names.add(fail.error);
    for (const name of matchedErrorNames(machine)) if (name !== 'States.ALL') names.add(name);
  }
  for (const value of Object.values(errors)) {
    if (typeof value !== 'function' || !(value.prototype instanceof errors.LifeboatError)) continue;
    if (value === errors.ScenarioError) continue;
    const Make = value as unknown as new (a: unknown, b: unknown) => Error;
    // InvalidInputError takes its problems first; the others a message or a source.
    const first = value === errors.InvalidInputError ? ['example'] : 'example';
    names.add(new Make(first, ['example']).name);
  }
  return [...names].sort();
}

describe('examples/inputs', () => {
  it.each(EXAMPLES)('%s is accepted by its workflow’s own input check', (file) => {
    const workflow = workflowOf(file);
    expect(workflow).toBeDefined();
    const input = JSON.parse(readFileSync(`${ROOT}examples/inputs/${file}`, 'utf8')) as {
      targetRegion?: string;
    };
    // A failback returns from the standby a failover moved to; everything else starts from the primary.
    const currentPrimary = workflow === 'failback' ? 'us-west-2' : 'us-east-1';
    // A drain's examples are for the active-active example's application: an undrain's region drained.
    const drained = (input as { undrain?: boolean; region?: string }).undrain === true;
    expect(() =>
      INPUT_CHECKS[workflow!](input, workflow === 'drain' ? activeActiveConfig : config, {
        ...(workflow === 'drain' && drained
          ? { weights: { 'us-east-1': 0, 'us-west-2': 40, 'eu-west-1': 20 } }
          : {}),
        now: new Date('2030-01-01T00:00:00Z'),
        currentPrimary,
        ...(input.targetRegion === undefined ? {} : { region: input.targetRegion }),
      }),
    ).not.toThrow();
  });

  it('has at least one example per workflow, and every state machine is a workflow with a check', () => {
    const covered = new Set(EXAMPLES.map(workflowOf));
    expect(WORKFLOWS.filter((w) => !covered.has(w))).toEqual([]);
    expect([...ASL_FILES, ...Object.keys(SHARED_DEFINITIONS)].sort()).toEqual([...WORKFLOWS].sort());
  });

  it('links every example from docs/inputs.md', () => {
    for (const file of EXAMPLES) expect(doc).toContain(`(../examples/inputs/${file})`);
  });
});

/** A table row of the error `name` (Prettier pads the cells), with `meaning` in its second cell if given. */
function row(name: string, meaning?: string): RegExp {
  const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^\\| \`${escape(name)}\` +\\| ${meaning === undefined ? '' : `${escape(meaning)} +\\|`}`,
    'm',
  );
}

describe('docs/inputs.md', () => {
  const errorNames = endErrors();

  it('lists every error name any state machine can end with, with its meaning and fix', () => {
    expect(errorNames).toEqual(
      expect.arrayContaining(['InvalidInput', 'ReadinessFailed', 'ApprovalRejected']),
    );
    const missing = errorNames.filter((name) => !row(name).test(doc));
    expect(missing).toEqual([]);
  });

  it('has a guide entry for each of them, and lists every guide entry', () => {
    expect(errorNames.filter((name) => !(name in ERROR_GUIDE))).toEqual([]);
    for (const [name, guide] of Object.entries(ERROR_GUIDE)) {
      expect(doc).toMatch(row(name, guide.meaning));
    }
  });

  it('documents every state machine', () => {
    for (const workflow of WORKFLOWS) expect(doc).toContain(`## \`lifeboat-${workflow}\``);
  });
});

describe('step guides', () => {
  it.each(ASL_FILES)('cover every operation of %s.asl.json', (workflow) => {
    const guide = STEP_GUIDES[workflow];
    expect(guide).toBeDefined();
    const operations = allStates(loadAsl(workflow))
      .filter((s) => s.state.Type === 'Task')
      .map((s) => [s.name, operationOf(s.state)] as const);
    expect(operations.filter(([, op]) => op === undefined)).toEqual([]);
    expect(operations.filter(([, op]) => !(op! in guide!))).toEqual([]);
  });
});
