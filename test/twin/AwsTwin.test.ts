import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../../local/clock/VirtualClock.ts';
import { AwsTwin, type TwinChecks } from '../../local/twin/AwsTwin.ts';
import type { Deployment, DeployedFunction } from '../../local/twin/Deployment.ts';
import type { AuthorizationRequest } from '../../local/twin/types.ts';
import { World } from '../../local/world/World.ts';
import { latencyModel } from '../../local/world/LatencyModel.ts';
import { testConfig } from '../support/synth.ts';

const ENTRY = fileURLToPath(new URL('../fixtures/twin/sdkHandler.ts', import.meta.url));
const ROLE = 'arn:aws:iam::000000000000:role/database';

function deployment(actions: readonly string[]): Deployment {
  const fn: DeployedFunction = {
    name: 'lifeboat-database',
    region: 'us-west-2',
    arn: 'arn:aws:lambda:us-west-2:000000000000:function:lifeboat-database',
    entry: ENTRY,
    exportName: 'handler',
    environment: {},
    timeoutSeconds: 30,
    memorySize: 256,
    roleArn: ROLE,
    policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }],
  };
  return {
    account: '000000000000',
    partition: 'aws',
    functions: [fn],
    workflows: new Map(),
    accessEntries: [],
    schedules: [],
  };
}

/** Checks that stand in for the model and IAM: a required member, and an action per operation. */
const checks: TwinChecks = {
  modelErrors: (_, __, input) =>
    (input as { DBInstanceIdentifier?: unknown }).DBInstanceIdentifier === undefined
      ? ['DBInstanceIdentifier: required']
      : [],
  authorizationRequests: (request): AuthorizationRequest[] => [
    { action: `rds:${request.operation}`, resource: '*', context: {} },
  ],
  evaluate: (policies, request) => {
    const allowed = policies.some((p) =>
      p.Statement.some((s) => (s.Action as string[]).includes(request.action)),
    );
    return {
      request,
      decision: allowed ? 'allowed' : 'denied',
      reason: allowed ? '' : 'no statement allows it',
    };
  },
};

function twin(actions: readonly string[]): { twin: AwsTwin; world: World } {
  const clock = new VirtualClock();
  const world = new World({ config: testConfig(), latency: latencyModel({}), clock });
  const twin = new AwsTwin({
    world,
    clock,
    deployment: deployment(actions),
    checks,
    services: {
      rds: [
        {
          PromoteReadReplica: (input, context) => ({
            DBInstance: {
              DBInstanceIdentifier: input.DBInstanceIdentifier,
              AvailabilityZone: `${context.region}a`,
            },
          }),
        },
      ],
    },
    dynamodb: () => Promise.reject(new Error('no DynamoDB here')),
    environment: () => ({}),
  });
  return { twin, world };
}

/** Runs an invocation to its end on the virtual clock. */
async function run<T>(clock: VirtualClock, work: Promise<T>): Promise<T> {
  let settled = false;
  const done = work.finally(() => {
    settled = true;
  });
  // Handled below, once the clock has run; a rejection meanwhile is not unhandled.
  done.catch(() => undefined);
  await clock.runUntil(Number.POSITIVE_INFINITY, () => settled);
  return done;
}

describe('AwsTwin', () => {
  it("answers an allowed, well-formed call from the world, in the function's region, and records it", async () => {
    const { twin: t, world } = twin(['rds:PromoteReadReplica']);
    const result = await run(
      world.clock,
      t.invoke('lifeboat-database', 'us-west-2', { DBInstanceIdentifier: 'db-1' }),
    );
    expect(result).toEqual({ identifier: 'db-1', region: 'us-west-2' });
    expect(t.calls).toEqual([
      expect.objectContaining({
        function: 'lifeboat-database',
        region: 'us-west-2',
        service: 'rds',
        operation: 'PromoteReadReplica',
        decision: 'allowed',
        modelErrors: [],
      }),
    ]);
    expect(t.violations).toEqual([]);
  });

  it('fails a call the role does not allow as AWS does, and reports it as a violation', async () => {
    const { twin: t, world } = twin(['rds:DescribeDBInstances']);
    await expect(
      run(world.clock, t.invoke('lifeboat-database', 'us-west-2', { DBInstanceIdentifier: 'db-1' })),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringMatching(
        /^User: arn:aws:sts::000000000000:assumed-role\/database\/lifeboat-database is not authorized to perform: rds:PromoteReadReplica/,
      ) as unknown,
    });
    expect(t.calls[0]).toMatchObject({
      decision: 'denied',
      denied: 'rds:PromoteReadReplica on *: no statement allows it',
    });
    expect(t.violations).toEqual([
      'iam: lifeboat-database in us-west-2: rds PromoteReadReplica (us-west-2) denied: rds:PromoteReadReplica on *: no statement allows it',
    ]);
  });

  it('fails a request the API model rejects before the world sees it', async () => {
    const { twin: t, world } = twin(['rds:PromoteReadReplica']);
    await expect(run(world.clock, t.invoke('lifeboat-database', 'us-west-2', {}))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: 'DBInstanceIdentifier: required',
    });
    expect(t.calls[0]).toMatchObject({
      decision: 'allowed',
      modelErrors: ['DBInstanceIdentifier: required'],
    });
    expect(t.violations).toEqual([
      'api-model: lifeboat-database in us-west-2: rds PromoteReadReplica (us-west-2): DBInstanceIdentifier: required',
    ]);
  });

  it('refuses to invoke a function no stack deploys in the region', async () => {
    const { twin: t, world } = twin([]);
    await expect(run(world.clock, t.invoke('lifeboat-database', 'eu-west-1', {}))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
