import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { synthLifeboat, templateOf } from '../support/synth.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ACTIVE_ACTIVE = parseConfig(
  JSON.parse(readFileSync(`${ROOT}examples/active-active.config.json`, 'utf8')) as unknown,
);

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

function stateMachines(stack: Parameters<typeof templateOf>[0]): Record<string, Record<string, unknown>> {
  const found = templateOf(stack).findResources('AWS::StepFunctions::StateMachine') as Record<
    string,
    { Properties: { StateMachineName: string; DefinitionString: unknown } }
  >;
  return Object.fromEntries(
    Object.values(found).map((r) => [r.Properties.StateMachineName, r.Properties as Record<string, unknown>]),
  );
}

describe('the drain, deployed', () => {
  it('is a state machine in every control plane where an application is active-active, and nowhere else', () => {
    const { stacks } = synthLifeboat(ACTIVE_ACTIVE);
    for (const stack of stacks.controlPlanes.values()) {
      expect(Object.keys(stateMachines(stack))).toContain('lifeboat-drain');
    }
    const example = synthLifeboat();
    for (const stack of example.stacks.controlPlanes.values()) {
      expect(Object.keys(stateMachines(stack))).not.toContain('lifeboat-drain');
    }
    // A control plane none of whose applications is active-active has none either.
    const wider = synthLifeboat({
      ...ACTIVE_ACTIVE,
      controlPlaneRegions: [...ACTIVE_ACTIVE.controlPlaneRegions, 'ap-south-1'],
    });
    expect(Object.keys(stateMachines(wider.stacks.controlPlanes.get('ap-south-1')!))).not.toContain(
      'lifeboat-drain',
    );
    expect(Object.keys(stateMachines(wider.stacks.controlPlanes.get('us-west-2')!))).toContain(
      'lifeboat-drain',
    );
  });

  it('invokes only the step functions a drain runs: no custom step', () => {
    const { stacks } = synthLifeboat(ACTIVE_ACTIVE);
    const stack = stacks.controlPlanes.get('us-west-2')!;
    const definition = JSON.stringify(stateMachines(stack)['lifeboat-drain']?.DefinitionString);
    for (const fn of [
      'FailoverInput',
      'Lock',
      'Preflight',
      'Workloads',
      'Traffic',
      'Database',
      'Ledger',
      'Notify',
      'Approval',
    ])
      expect(definition).toContain(`${fn}Function`);
    expect(definition).not.toContain('CustomFunction');
  });

  it('lets the preflight read the clusters of every region of an active-active application, and only those', () => {
    const { stacks } = synthLifeboat(ACTIVE_ACTIVE);
    const t = templateOf(stacks.controlPlanes.get('eu-west-1')!);
    const policies = Object.entries(t.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('PreflightFunctionRole'),
    ) as [string, { Properties: { PolicyDocument: { Statement: Statement[] } } }][];
    const clusters = policies
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .filter((s) => s.Action === 'eks:DescribeCluster')
      .flatMap((s): unknown[] => (Array.isArray(s.Resource) ? (s.Resource as unknown[]) : [s.Resource]))
      .map((r) => JSON.stringify(r).match(/cluster\/([a-z0-9-]+)/)?.[1])
      .sort();
    expect([...new Set(clusters)]).toEqual(['inference-euw1', 'inference-use1', 'inference-usw2']);
  });

  it('passes the cdk-nag checks with every Lambda bundle built', () => {
    const { app } = synthLifeboat(ACTIVE_ACTIVE, { nag: true, bundle: true });
    expect(() => app.synth()).not.toThrow();
  });
});
