import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricDataCommand,
  type DescribeAlarmsCommandInput,
} from '@aws-sdk/client-cloudwatch';
import {
  DynamoDBClient,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeDBInstancesCommand,
  RDSClient,
  type DescribeDBInstancesCommandInput,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourcesCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwsClients } from '../../local/cli/aws/AwsClients.ts';
import { cliExecutionName } from '../../local/cli/aws/deployment.ts';
import { EXIT, main } from '../../local/cli/main.ts';
import type { RunRecord } from '../../shared/ports/Ledger.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'] as const;
const NOW = new Date('2030-01-01T00:10:00.000Z');
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' };
const MACHINE = (region: string, name = 'lifeboat-failover') =>
  `arn:aws:states:${region}:123456789012:stateMachine:${name}`;

/** One client per region and its mock; each client type has its own call, their types differ. */
function perRegion<C, M>(make: (region: string) => C, mock: (client: C) => M) {
  const clients = Object.fromEntries(REGIONS.map((r) => [r, make(r)])) as Record<string, C>;
  const mocks = Object.fromEntries(REGIONS.map((r) => [r, mock(clients[r]!)])) as Record<string, M>;
  return { clients, mocks };
}

const sfn = perRegion(
  (region) => new SFNClient({ region, credentials }),
  (c) => mockClient(c),
);
const dynamo = perRegion(
  (region) => new DynamoDBClient({ region, credentials }),
  (c) => mockClient(c),
);
const rds = perRegion(
  (region) => new RDSClient({ region, credentials }),
  (c) => mockClient(c),
);
const cloudWatch = perRegion(
  (region) => new CloudWatchClient({ region, credentials }),
  (c) => mockClient(c),
);
const elastiCache = perRegion(
  (region) => new ElastiCacheClient({ region, credentials }),
  (c) => mockClient(c),
);

/** The example's store `budgets` as ElastiCache describes it in every region: `primary` writes. */
function storeMembers(primaries: readonly string[]): void {
  const groups: Record<string, string> = {
    'us-east-1': 'ai-gateway-budgets-use1',
    'us-west-2': 'ai-gateway-budgets-usw2',
    'eu-west-1': 'ai-gateway-budgets-euw1',
  };
  for (const region of REGIONS) {
    elastiCache.mocks[region]!.on(DescribeGlobalReplicationGroupsCommand).resolves({
      GlobalReplicationGroups: [
        {
          GlobalReplicationGroupId: 'ldgnf-ai-gateway-budgets',
          Status: 'available',
          Members: REGIONS.map((r) => ({
            ReplicationGroupId: groups[r],
            ReplicationGroupRegion: r,
            Role: primaries.includes(r) ? 'PRIMARY' : 'SECONDARY',
            Status: 'associated',
          })),
        },
      ],
    });
    elastiCache.mocks[region]!.on(DescribeReplicationGroupsCommand).resolves({
      ReplicationGroups: [{ ReplicationGroupId: groups[region], Status: 'available' }],
    });
  }
}
const route53Client = new Route53Client({ region: 'us-east-1', credentials });
const route53 = mockClient(route53Client);

const aws: AwsClients = {
  sfn: (r) => sfn.clients[r] ?? fail(r),
  dynamodb: (r) => dynamo.clients[r] ?? fail(r),
  rds: (r) => rds.clients[r] ?? fail(r),
  cloudWatch: (r) => cloudWatch.clients[r] ?? fail(r),
  elastiCache: (r) => elastiCache.clients[r] ?? fail(r),
  route53: () => route53Client,
};

function fail(region: string): never {
  throw new Error(`the test has no client for ${region}`);
}

let sleeps: number[] = [];

/** Where the commands run: a directory with the README's ./lifeboat.config.json (the example's copy). */
const HOME = mkdtempSync(join(tmpdir(), 'lifeboat-cli-'));
copyFileSync(join(ROOT, 'examples', 'lifeboat.config.json'), join(HOME, 'lifeboat.config.json'));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliIn(HOME, ...argv);
}

async function cliIn(
  cwd: string,
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd,
    aws,
    now: () => NOW,
    sleep: (seconds) => {
      sleeps.push(seconds);
      return Promise.resolve();
    },
  });
  return { code, stdout, stderr };
}

/** Route 53 answers with the weights of ai-gateway's three records. */
function weights(w: Record<string, number>): void {
  const ids: Record<string, string> = {
    'us-east-1': 'ai-gateway-use1',
    'us-west-2': 'ai-gateway-usw2',
    'eu-west-1': 'ai-gateway-euw1',
  };
  route53.on(ListResourceRecordSetsCommand).resolves({
    ResourceRecordSets: Object.entries(w).map(([region, weight]) => ({
      Name: 'gateway.example.com.',
      Type: 'A',
      SetIdentifier: ids[region],
      Weight: weight,
    })),
    IsTruncated: false,
    MaxItems: 300,
  });
}

function runItem(run: RunRecord) {
  return marshall(
    {
      pk: `APP#${run.application}`,
      sk: `RUN#${run.kind}#${run.startedAt}#${run.executionName}`,
      ...run,
    },
    { removeUndefinedValues: true },
  );
}

const LAST_FAILOVER: RunRecord = {
  application: 'ai-gateway',
  kind: 'failover',
  executionName: 'incident-ai-gateway-us-east-1-20291231T2300',
  startedAt: '2029-12-31T23:00:00.000Z',
  endedAt: '2029-12-31T23:05:12.000Z',
  status: 'SUCCEEDED',
  reason: 'automatic: lifeboat-ai-gateway-us-east-1-route53-health',
  details: { rtoSeconds: 312, rtoFrom: 'the first failed check', rpoSeconds: 4 },
};

/** The ledger in every region: these runs, and this lock. */
function ledger(
  runs: readonly RunRecord[],
  lock?: { owner: string; acquiredAt: string; leaseExpiresAt: string },
) {
  for (const region of REGIONS) {
    dynamo.mocks[region]!.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      const prefix = input.ExpressionAttributeValues?.[':prefix']?.S ?? '';
      const app = input.ExpressionAttributeValues?.[':pk']?.S ?? '';
      return {
        Items: runs
          .filter((r) => `APP#${r.application}` === app && `RUN#${r.kind}#` === prefix)
          .slice(0, input.Limit)
          .map(runItem),
      };
    });
    dynamo.mocks[region]!.on(GetItemCommand).resolves(
      lock === undefined
        ? {}
        : { Item: marshall({ pk: 'APP#ai-gateway', sk: 'LOCK', application: 'ai-gateway', ...lock }) },
    );
  }
}

function deployed(region: string, name = 'lifeboat-failover'): void {
  sfn.mocks[region]!.on(ListStateMachinesCommand).resolves({
    stateMachines: [{ name, stateMachineArn: MACHINE(region, name), type: 'STANDARD', creationDate: NOW }],
  });
}

function execution(region: string, name: string, machine = 'lifeboat-failover'): string {
  return `arn:aws:states:${region}:123456789012:execution:${machine}:${name}`;
}

const at = (s: number) => new Date(NOW.getTime() + s * 1000);

beforeEach(() => {
  sleeps = [];
  route53.reset();
  for (const r of REGIONS) {
    sfn.mocks[r]!.reset();
    dynamo.mocks[r]!.reset();
    rds.mocks[r]!.reset();
    cloudWatch.mocks[r]!.reset();
    elastiCache.mocks[r]!.reset();
  }
});

function noAwsCalls(): void {
  expect(route53.calls()).toHaveLength(0);
  for (const r of REGIONS) {
    expect(sfn.mocks[r]!.calls()).toHaveLength(0);
    expect(dynamo.mocks[r]!.calls()).toHaveLength(0);
  }
}

describe('lifeboat start', () => {
  const name = cliExecutionName({
    workflow: 'failover',
    application: 'ai-gateway',
    region: 'us-west-2',
    dryRun: false,
    lastRunStartedAt: LAST_FAILOVER.startedAt,
  });

  it('names executions after the last recorded run: the same until it changes, within 80 characters', () => {
    expect(name).toBe(
      `cli-failover-ai-gateway-us-west-2-${Date.parse(LAST_FAILOVER.startedAt).toString(36)}`,
    );
    expect(
      cliExecutionName({
        workflow: 'failover',
        application: 'ai-gateway',
        region: 'us-west-2',
        dryRun: true,
        lastRunStartedAt: undefined,
      }),
    ).toBe('cli-failover-ai-gateway-us-west-2-dry-0');
    const long = cliExecutionName({
      workflow: 'restore-test',
      application: 'a'.repeat(63),
      region: 'ap-southeast-2',
      dryRun: true,
      lastRunStartedAt: LAST_FAILOVER.startedAt,
    });
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long).toMatch(/^cli-restore-test-[0-9a-f]{16}-dry-[0-9a-z]+$/);
  });

  it('checks the input, starts the failover in the target region and follows it until it ends', async () => {
    weights({ 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 });
    ledger([LAST_FAILOVER]);
    deployed('us-west-2');
    const arn = execution('us-west-2', name);
    const w = sfn.mocks['us-west-2']!;
    w.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: NOW });
    w.on(DescribeExecutionCommand)
      .resolvesOnce({
        executionArn: arn,
        name,
        status: 'RUNNING',
        startDate: NOW,
        stateMachineArn: MACHINE('us-west-2'),
      })
      .resolves({
        executionArn: arn,
        name,
        status: 'SUCCEEDED',
        startDate: NOW,
        stopDate: at(330),
        stateMachineArn: MACHINE('us-west-2'),
        output: JSON.stringify({
          status: 'SUCCEEDED',
          rtoSeconds: 312,
          rtoFrom: 'the first failed check',
          rpoSeconds: 4,
        }),
      });
    w.on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: [
          { id: 1, type: 'ExecutionStarted', timestamp: NOW },
          {
            id: 2,
            type: 'TaskStateEntered',
            timestamp: at(0),
            stateEnteredEventDetails: { name: 'ValidateInput' },
          },
        ],
      })
      .resolves({
        events: [
          { id: 1, type: 'ExecutionStarted', timestamp: NOW },
          {
            id: 2,
            type: 'TaskStateEntered',
            timestamp: at(0),
            stateEnteredEventDetails: { name: 'ValidateInput' },
          },
          {
            id: 3,
            type: 'TaskStateExited',
            timestamp: at(1.5),
            stateExitedEventDetails: { name: 'ValidateInput' },
          },
          {
            id: 4,
            type: 'LambdaFunctionFailed',
            timestamp: at(2),
            lambdaFunctionFailedEventDetails: { error: 'ThrottledError', cause: 'Rate exceeded' },
          },
          { id: 5, type: 'PassStateEntered', timestamp: at(330), stateEnteredEventDetails: { name: 'Done' } },
        ],
      });

    const { code, stdout, stderr } = await cli(
      'start',
      'failover',
      '--app',
      'ai-gateway',
      '--to',
      'us-west-2',
      '--reason',
      'us-east-1 degraded',
    );

    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(w).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE('us-west-2'),
      name,
      input: JSON.stringify({
        application: 'ai-gateway',
        targetRegion: 'us-west-2',
        reason: 'us-east-1 degraded',
      }),
    });
    expect(dynamo.mocks['us-west-2']).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'lifeboat-ledger',
      Limit: 1,
    });
    for (const other of ['us-east-1', 'eu-west-1']) expect(sfn.mocks[other]!.calls()).toHaveLength(0);
    expect(stdout).toContain(
      'Started the failover of ai-gateway to us-west-2 in us-west-2 (ai-gateway is served from us-east-1)',
    );
    expect(stdout).toContain('#/v2/executions/details/arn:aws:states:us-west-2:');
    expect(stdout).toContain('0:00:00  ▶ ValidateInput\n');
    expect(stdout).toContain('0:00:01  ✓ ValidateInput  1.5 s\n');
    expect(stdout).toContain('✗ ThrottledError: Rate exceeded');
    expect(stdout).toContain('0:05:30  ▶ Done');
    expect(stdout.match(/▶ ValidateInput/g)).toHaveLength(1);
    expect(stdout).toContain('The failover of ai-gateway to us-west-2 ended SUCCEEDED after 0:05:30.');
    expect(stdout).toContain('RTO        312 s from the first failed check');
    expect(sleeps).toEqual([2]);
  });

  it('reports a repeated command as the run already under way, and --no-wait returns at once', async () => {
    weights({ 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 });
    ledger([LAST_FAILOVER]);
    deployed('us-west-2');
    sfn.mocks['us-west-2']!.on(StartExecutionCommand).rejects(
      new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }),
    );
    const { code, stdout } = await cli(
      'start',
      'failover',
      '--app',
      'ai-gateway',
      '--to',
      'us-west-2',
      '--no-wait',
    );
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('A failover of ai-gateway started by this command is already under way or done');
    expect(stdout).toContain(execution('us-west-2', name));
    expect(sfn.mocks['us-west-2']).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('exits 1 with what to do when the run fails', async () => {
    weights({ 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 });
    ledger([]);
    deployed('us-west-2');
    const first = `cli-failover-ai-gateway-us-west-2-0`;
    const arn = execution('us-west-2', first);
    const w = sfn.mocks['us-west-2']!;
    w.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: NOW });
    w.on(DescribeExecutionCommand).resolves({
      executionArn: arn,
      name: first,
      status: 'FAILED',
      startDate: NOW,
      stopDate: at(1900),
      stateMachineArn: MACHINE('us-west-2'),
      error: 'NotReadyError',
      cause: 'ai-gateway-db-usw2 did not accept writes within 1800 s',
    });
    w.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const { code, stdout } = await cli('start', 'failover', '--app', 'ai-gateway', '--to', 'us-west-2');
    expect(code).toBe(1);
    expect(w).toHaveReceivedCommandWith(StartExecutionCommand, { name: first });
    expect(stdout).toContain('ended FAILED after 0:31:40');
    expect(stdout).toContain(
      'reason     NotReadyError: ai-gateway-db-usw2 did not accept writes within 1800 s',
    );
    expect(stdout).toContain('what to do Look at the resource the cause names');
    expect(sleeps).toEqual([]);
  });

  it('exits 1 when the run ends skipped', async () => {
    weights({ 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 });
    ledger([]);
    deployed('us-west-2');
    const w = sfn.mocks['us-west-2']!;
    const arn = execution('us-west-2', 'cli-failover-ai-gateway-us-west-2-0');
    w.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: NOW });
    w.on(DescribeExecutionCommand).resolves({
      executionArn: arn,
      status: 'SUCCEEDED',
      startDate: NOW,
      stopDate: at(3),
      stateMachineArn: MACHINE('us-west-2'),
      output: JSON.stringify({ status: 'SKIPPED', reason: 'another run holds the lock: incident-1' }),
    });
    w.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const { code, stdout } = await cli('start', 'failover', '--app', 'ai-gateway', '--to', 'us-west-2');
    expect(code).toBe(1);
    expect(stdout).toContain('ended SKIPPED after 0:00:03');
    expect(stdout).toContain('reason     another run holds the lock: incident-1');
  });

  it('starts a readiness drill in the first standby of the region serving now', async () => {
    weights({ 'us-east-1': 0, 'us-west-2': 100, 'eu-west-1': 0 });
    ledger([]);
    deployed('us-east-1', 'lifeboat-drill');
    sfn.mocks['us-east-1']!.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: NOW });
    const { code, stdout } = await cli('start', 'drill', '--app', 'ai-gateway', '--no-wait');
    expect(code).toBe(EXIT.ok);
    expect(sfn.mocks['us-east-1']).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE('us-east-1', 'lifeboat-drill'),
      name: 'cli-drill-ai-gateway-us-east-1-0',
      input: JSON.stringify({ application: 'ai-gateway', mode: 'readiness' }),
    });
    expect(stdout).toContain(
      'Started the drill of ai-gateway in us-east-1 (ai-gateway is served from us-west-2)',
    );
  });

  it('starts a switchover in the standby it moves to, checked as its first state checks it', async () => {
    weights({ 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 });
    ledger([]);
    deployed('us-west-2', 'lifeboat-switchover');
    sfn.mocks['us-west-2']!.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: NOW });
    const { code, stdout } = await cli(
      'start',
      'switchover',
      '--app',
      'ai-gateway',
      '--to',
      'us-west-2',
      '--reason',
      'us-east-1 maintenance',
      '--no-wait',
    );
    expect(code).toBe(EXIT.ok);
    expect(sfn.mocks['us-west-2']).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE('us-west-2', 'lifeboat-switchover'),
      name: 'cli-switchover-ai-gateway-us-west-2-0',
      input: JSON.stringify({
        application: 'ai-gateway',
        targetRegion: 'us-west-2',
        reason: 'us-east-1 maintenance',
      }),
    });
    expect(stdout).toContain('Started the switchover of ai-gateway to us-west-2 in us-west-2');

    // The serving region is no target, and a switchover takes no --force: refused before any start.
    sfn.mocks['us-east-1']!.reset();
    const serving = await cli('start', 'switchover', '--app', 'ai-gateway', '--to', 'us-east-1');
    expect(serving.code).toBe(EXIT.usage);
    expect(serving.stderr).toContain(
      '--to: us-east-1 already serves ai-gateway; name the standby to move to',
    );
    const forced = await cli('start', 'switchover', '--app', 'ai-gateway', '--to', 'us-west-2', '--force');
    expect(forced.code).toBe(EXIT.usage);
    expect(forced.stderr).toContain('--force: only a failover takes --force; a switchover moves traffic');
    expect(sfn.mocks['us-east-1']!.calls()).toHaveLength(0);
  });

  it('starts a restore test in the backup copy region', async () => {
    route53.on(ListResourceRecordSetsCommand).rejects(new Error('unused'));
    ledger([]);
    deployed('us-west-2', 'lifeboat-restore-test');
    sfn.mocks['us-west-2']!.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: NOW });
    const { code } = await cli('start', 'restore-test', '--app', 'ai-gateway-drill', '--no-wait');
    expect(code).toBe(EXIT.ok);
    expect(sfn.mocks['us-west-2']).toHaveReceivedCommandWith(StartExecutionCommand, {
      name: 'cli-restore-test-ai-gateway-drill-us-west-2-0',
      input: JSON.stringify({ application: 'ai-gateway-drill' }),
    });
  });

  it('exits 3 naming the region and the fix when Lifeboat is not deployed there', async () => {
    weights({ 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 });
    ledger([]);
    sfn.mocks['us-west-2']!.on(ListStateMachinesCommand).resolves({ stateMachines: [] });
    const { code, stderr } = await cli('start', 'failover', '--app', 'ai-gateway', '--to', 'us-west-2');
    expect(code).toBe(EXIT.internal);
    expect(stderr).toContain(
      'NotDeployed: us-west-2 has no state machine lifeboat-failover: deploy the control plane there (npx cdk deploy Lifeboat-ControlPlane-us-west-2)',
    );
    expect(sfn.mocks['us-west-2']).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('refuses what the workflow would refuse, with the flag named, and starts nothing', async () => {
    weights({ 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 });
    ledger([]);
    deployed('us-east-1');
    const { code, stderr } = await cli('start', 'failover', '--app', 'ai-gateway', '--to', 'us-east-1');
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(
      '--to: us-east-1 already serves ai-gateway; name a standby (us-west-2, eu-west-1)',
    );
    for (const r of REGIONS) expect(sfn.mocks[r]!.calls()).toHaveLength(0);

    const long = await cli(
      'start',
      'failback',
      '--app',
      'ai-gateway',
      '--to',
      'us-west-2',
      '--reason',
      'x'.repeat(501),
    );
    expect(long.code).toBe(EXIT.usage);
    expect(long.stderr).toContain('--reason');
    expect(long.stderr).toContain('500');
  });

  it('reads the serving region from another ledger replica when the first does not answer', async () => {
    route53
      .on(ListResourceRecordSetsCommand)
      .rejects(Object.assign(new Error('unreachable'), { name: 'TimeoutError' }));
    ledger([{ ...LAST_FAILOVER, details: { request: { targetRegion: 'us-west-2' } } }]);
    dynamo.mocks['us-west-2']!.on(QueryCommand).rejects(
      Object.assign(new Error('down'), { name: 'InternalServerError' }),
    );
    const { code, stderr } = await cli('start', 'failover', '--app', 'ai-gateway', '--to', 'us-west-2');
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('--to: us-west-2 already serves ai-gateway');
    expect(dynamo.mocks['us-east-1']).toHaveReceivedCommand(QueryCommand);
  });

  it.each([
    [
      ['start'],
      'name the workflow to start: failover, failback, switchover, drain, undrain, drill, restore-test',
    ],
    [
      ['start', 'teleport', '--app', 'ai-gateway'],
      'expected one workflow (failover, failback, switchover, drain, undrain, drill, restore-test, region-evacuation), got "teleport"',
    ],
    [['start', 'failover'], '--app is required: name the application (ai-gateway, ai-gateway-drill)'],
    [
      ['start', 'failover', '--app', 'gateway', '--to', 'us-west-2'],
      '--app: no application named "gateway"; the config has ai-gateway, ai-gateway-drill',
    ],
    [
      ['start', 'failover', '--app', 'ai-gateway'],
      '--to is required: name the region to move ai-gateway to (us-east-1, us-west-2, eu-west-1)',
    ],
    [
      ['start', 'failback', '--app', 'ai-gateway-drill'],
      '--to is required: name the region to move ai-gateway-drill to (us-east-1, us-west-2)',
    ],
    [
      ['start', 'failover', '--app', 'ai-gateway', '--to', 'ap-south-1'],
      '--to: ap-south-1 is not a region of ai-gateway (us-east-1, us-west-2, eu-west-1)',
    ],
    [
      ['start', 'restore-test', '--app', 'ai-gateway', '--to', 'ap-south-1'],
      '--to: ap-south-1 runs no Lifeboat control plane; name one of us-east-1, us-west-2, eu-west-1',
    ],
    [
      ['start', 'failback', '--app', 'ai-gateway', '--to', 'us-east-1', '--force'],
      '--force: only a failover takes --force',
    ],
    [['start', 'drill', '--app', 'ai-gateway', '--dry-run'], '--dry-run: a drill takes no --dry-run'],
    [
      ['start', 'restore-test', '--app', 'ai-gateway', '--reason', 'x'],
      '--reason: a restore-test takes no --reason',
    ],
    [['start', 'failover', '--app', 'ai-gateway', '--to', 'us-west-2', '--wait'], "Unknown option '--wait'"],
    [['start', 'failover', '--app', 'ai-gateway', '--to', 'us-west-2', '--config', 'nope.json'], 'nope.json'],
  ])('exits 2 for %j, naming the argument, before any AWS call', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(message);
    noAwsCalls();
  });
});

describe('lifeboat status', () => {
  function databases(roles: Record<string, 'writer' | 'replica' | 'standalone'>): void {
    for (const [region, role] of Object.entries(roles)) {
      rds.mocks[region]!.on(DescribeDBInstancesCommand).callsFake(
        (input: DescribeDBInstancesCommandInput) => ({
          DBInstances: [
            {
              DBInstanceIdentifier: input.DBInstanceIdentifier,
              DBInstanceStatus: 'available',
              ...(role === 'replica'
                ? {
                    ReadReplicaSourceDBInstanceIdentifier:
                      'arn:aws:rds:us-east-1:123456789012:db:ai-gateway-db-use1',
                  }
                : {}),
              ...(role === 'writer' ? { ReadReplicaDBInstanceIdentifiers: ['x'] } : {}),
            },
          ],
        }),
      );
    }
  }

  it('shows what serves, the writer, the run in progress and the last run of each kind', async () => {
    weights({ 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 });
    databases({ 'us-east-1': 'writer', 'us-west-2': 'replica', 'eu-west-1': 'replica' });
    storeMembers(['us-east-1']);
    ledger([LAST_FAILOVER], {
      owner: 'cli-drill-x',
      acquiredAt: '2030-01-01T00:09:00.000Z',
      leaseExpiresAt: '2030-01-01T03:09:00.000Z',
    });
    const { code, stdout } = await cli('status', '--app', 'ai-gateway');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('  serving      us-east-1   weights us-east-1 100, us-west-2 0, eu-west-1 0');
    expect(stdout).toContain('  writer       us-east-1\n');
    expect(stdout).toContain('us-west-2 replica of us-east-1');
    expect(stdout).toContain(
      '  store budgets  us-east-1 primary; us-west-2 secondary of us-east-1; eu-west-1 secondary of us-east-1\n',
    );
    expect(stdout).toContain('  in progress  cli-drill-x since 2030-01-01T00:09:00.000Z');
    expect(stdout).toContain(
      '  last failover     2029-12-31T23:00:00Z  SUCCEEDED      312 s  RTO 312 s from the first failed check  RPO 4 s',
    );
    expect(stdout).toContain('  last restore-test none recorded');
    expect(rds.mocks['us-west-2']).toHaveReceivedCommandWith(DescribeDBInstancesCommand, {
      DBInstanceIdentifier: 'ai-gateway-db-usw2',
    });
    expect(dynamo.mocks['us-east-1']).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: 'lifeboat-ledger',
      Key: { pk: { S: 'APP#ai-gateway' }, sk: { S: 'LOCK' } },
    });
  });

  it('names a switchover left unfinished and the commands that finish or undo it', async () => {
    weights({ 'us-east-1': 50, 'us-west-2': 50, 'eu-west-1': 0 });
    databases({ 'us-east-1': 'writer', 'us-west-2': 'replica', 'eu-west-1': 'replica' });
    storeMembers(['us-east-1']);
    ledger([
      {
        application: 'ai-gateway',
        kind: 'switchover',
        executionName: 'switchover-1',
        startedAt: '2030-01-01T00:00:00.000Z',
        endedAt: '2030-01-01T00:40:00.000Z',
        status: 'FAILED',
        details: {
          request: { sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false },
          progress: { switchBegun: false, shiftedPercent: 50 },
        },
      },
    ]);
    const { code, stdout } = await cli('status', '--app', 'ai-gateway');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain(
      '  unfinished   the switchover switchover-1 of ai-gateway to us-west-2 ended FAILED at its 50 % step towards us-west-2, with the writer still in us-east-1; finish it first: start the switchover to us-west-2 again (lifeboat start switchover --app ai-gateway --to us-west-2), or put the traffic back on us-east-1 by hand (lifeboat weights --app ai-gateway --set us-east-1=100,us-west-2=0)\n',
    );
  });

  it('says what it could not read, reads the ledger from another replica, and exits 1', async () => {
    route53
      .on(ListResourceRecordSetsCommand)
      .rejects(Object.assign(new Error('no answer'), { name: 'TimeoutError' }));
    databases({ 'us-west-2': 'standalone', 'eu-west-1': 'replica' });
    storeMembers(['us-west-2']);
    rds.mocks['us-east-1']!.on(DescribeDBInstancesCommand).rejects(
      Object.assign(new Error('down'), { name: 'TimeoutError' }),
    );
    ledger([], {
      owner: 'old-run',
      acquiredAt: '2029-12-31T00:00:00.000Z',
      leaseExpiresAt: '2029-12-31T03:00:00.000Z',
    });
    dynamo.mocks['us-east-1']!.on(GetItemCommand).rejects(
      Object.assign(new Error('down'), { name: 'TimeoutError' }),
    );
    const { code, stdout } = await cli('status', '--app', 'ai-gateway');
    expect(code).toBe(1);
    expect(stdout).toContain("serving      unknown: Route 53's API did not answer (TimeoutError: no answer)");
    expect(stdout).toContain('us-east-1 unreadable (TimeoutError: down)');
    expect(stdout).toContain('  writer       us-west-2\n');
    expect(stdout).toContain('in progress  none (the lease of old-run ended 2029-12-31T03:00:00.000Z)');
    expect(dynamo.mocks['us-west-2']).toHaveReceivedCommand(GetItemCommand);
  });

  it('warns, and exits 1, when two members of a store take writes', async () => {
    weights({ 'us-east-1': 0, 'us-west-2': 100, 'eu-west-1': 0 });
    databases({ 'us-east-1': 'replica', 'us-west-2': 'standalone', 'eu-west-1': 'replica' });
    storeMembers(['us-east-1', 'us-west-2']);
    ledger([]);
    const { code, stdout } = await cli('status', '--app', 'ai-gateway');
    expect(code).toBe(1);
    expect(stdout).toContain('WARNING: us-east-1 and us-west-2 both take writes');
  });

  it('warns when two regions accept writes', async () => {
    weights({ 'us-east-1': 0, 'us-west-2': 100, 'eu-west-1': 0 });
    databases({ 'us-east-1': 'standalone', 'us-west-2': 'standalone', 'eu-west-1': 'replica' });
    storeMembers(['us-west-2']);
    ledger([]);
    const { code, stdout } = await cli('status', '--app', 'ai-gateway', '--json');
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject([
      { application: 'ai-gateway', serving: 'us-west-2', writers: ['us-east-1', 'us-west-2'] },
    ]);
  });

  it.each([
    [
      ['status', '--app', 'gateway'],
      '--app: no application named "gateway"; the config has ai-gateway, ai-gateway-drill',
    ],
    [
      ['status', '--region', 'ap-south-1'],
      '--region: ap-south-1 holds no ledger replica; name one of us-east-1, us-west-2, eu-west-1',
    ],
    [['status', 'ai-gateway'], 'unexpected "ai-gateway"; name an application with --app'],
    [['status', '--verbose'], "Unknown option '--verbose'"],
  ])('exits 2 for %j, naming the argument', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(message);
    noAwsCalls();
  });
});

describe('lifeboat history', () => {
  it('lists the runs of one kind, newest first, from the ledger', async () => {
    ledger([
      LAST_FAILOVER,
      {
        ...LAST_FAILOVER,
        executionName: 'cli-failover-ai-gateway-us-west-2-0',
        startedAt: '2029-12-30T10:00:00.000Z',
        endedAt: '2029-12-30T10:00:01.000Z',
        status: 'FAILED',
        reason: 'the input was rejected; nothing was changed',
        error: { name: 'InvalidInput', cause: 'targetRegion: ...' },
        details: {},
      },
    ]);
    const { code, stdout } = await cli(
      'history',
      '--app',
      'ai-gateway',
      '--kind',
      'failover',
      '--limit',
      '5',
    );
    expect(code).toBe(EXIT.ok);
    expect(dynamo.mocks['us-east-1']).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'lifeboat-ledger',
      Limit: 5,
      ScanIndexForward: false,
      ExpressionAttributeValues: { ':pk': { S: 'APP#ai-gateway' }, ':prefix': { S: 'RUN#failover#' } },
    });
    expect(stdout).toContain(
      'failover runs of ai-gateway, newest first (ledger lifeboat-ledger in us-east-1):',
    );
    expect(stdout).toContain(
      '2029-12-31T23:00:00Z  SUCCEEDED      312 s  RTO 312 s from the first failed check  RPO 4 s  incident-ai-gateway',
    );
    expect(stdout).toContain('InvalidInput: the input was rejected; nothing was changed');
    expect(stdout.indexOf('2029-12-31')).toBeLessThan(stdout.indexOf('2029-12-30'));
  });

  it('lists a region’s evacuations under region-evacuation:<region>, and names the form for any other', async () => {
    ledger([]);
    const { code, stdout } = await cli(
      'history',
      '--app',
      'region-evacuation:us-east-1',
      '--kind',
      'evacuation',
    );
    expect(code).toBe(EXIT.ok);
    expect(dynamo.mocks['us-east-1']).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: {
        ':pk': { S: 'APP#region-evacuation:us-east-1' },
        ':prefix': { S: 'RUN#evacuation#' },
      },
    });
    expect(stdout).toContain('evacuation runs of region-evacuation:us-east-1, newest first');
    const wrong = await cli('history', '--app', 'ai-gateway', '--kind', 'evacuation');
    expect(wrong.code).toBe(EXIT.usage);
    expect(wrong.stderr).toContain(
      '--app: evacuations are recorded by region; name one as region-evacuation:us-east-1, region-evacuation:us-west-2, region-evacuation:eu-west-1',
    );
  });

  it('prints JSON with --json, and says when nothing is recorded', async () => {
    ledger([]);
    const json = await cli('history', '--app', 'ai-gateway', '--kind', 'drill', '--json');
    expect(JSON.parse(json.stdout)).toEqual([]);
    const text = await cli('history', '--app', 'ai-gateway', '--kind', 'drill', '--region', 'eu-west-1');
    expect(text.stdout).toContain(
      'drill runs of ai-gateway, newest first (ledger lifeboat-ledger in eu-west-1):\n  none recorded',
    );
  });

  it.each([
    [
      ['history', '--kind', 'drill'],
      '--app is required: name the application (ai-gateway, ai-gateway-drill)',
    ],
    [['history', '--app', 'gateway', '--kind', 'drill'], '--app: no application named "gateway"'],
    [
      ['history', '--app', 'ai-gateway'],
      '--kind is required: name the kind of run (failover, failback, switchover, drain, backup, restore-test, drill, break-glass, quarantine, evacuation)',
    ],
    [
      ['history', '--app', 'ai-gateway', '--kind', 'drills'],
      '--kind: "drills" is not a kind of run; use one of failover, failback, switchover, drain, backup, restore-test, drill',
    ],
    [
      ['history', '--app', 'ai-gateway', '--kind', 'drill', '--limit', '0'],
      '--limit: "0" is not a whole number from 1 to 100',
    ],
    [
      ['history', '--app', 'ai-gateway', '--kind', 'drill', '--limit', 'ten'],
      '--limit: "ten" is not a whole number from 1 to 100',
    ],
    [
      ['history', '--app', 'ai-gateway', '--kind', 'drill', '--limit', '101'],
      '--limit: "101" is not a whole number from 1 to 100',
    ],
    [
      ['history', '--app', 'ai-gateway', '--kind', 'drill', '--region', 'ap-south-1'],
      '--region: ap-south-1 holds no ledger replica',
    ],
    [['history', 'ai-gateway'], 'unexpected "ai-gateway"; name the application with --app'],
  ])('exits 2 for %j, naming the argument', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(message);
    noAwsCalls();
  });
});

describe('without AWS credentials', () => {
  /** What the SDK throws when no provider in its chain has credentials. */
  const noCredentials = () =>
    Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });

  function everyCallRefused(): void {
    route53.onAnyCommand().rejects(noCredentials());
    for (const region of REGIONS) {
      dynamo.mocks[region]!.onAnyCommand().rejects(noCredentials());
      rds.mocks[region]!.onAnyCommand().rejects(noCredentials());
      elastiCache.mocks[region]!.onAnyCommand().rejects(noCredentials());
      sfn.mocks[region]!.onAnyCommand().rejects(noCredentials());
      cloudWatch.mocks[region]!.onAnyCommand().rejects(noCredentials());
    }
  }

  it('status, start and history each print one line naming the fix, and exit 3', async () => {
    everyCallRefused();
    const commands = [
      ['status', '--app', 'ai-gateway'],
      ['start', 'failover', '--app', 'ai-gateway', '--to', 'us-west-2', '--no-wait'],
      ['history', '--app', 'ai-gateway', '--kind', 'failover'],
    ];
    for (const argv of commands) {
      const { code, stdout, stderr } = await cli(...argv);
      expect([argv[0], code]).toEqual([argv[0], 3]);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toEqual([
        `lifeboat ${argv[0]}: no usable AWS credentials: set AWS_PROFILE to a profile of the deployment's account (for an SSO profile, run "aws sso login --profile <name>" first), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      ]);
    }
  });

  it('status still shows what it could read when only some reads lack credentials', async () => {
    weights({ 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 });
    ledger([]);
    for (const region of REGIONS) rds.mocks[region]!.onAnyCommand().rejects(noCredentials());
    const { code, stdout } = await cli('status', '--app', 'ai-gateway');
    expect(code).toBe(1);
    expect(stdout).toContain('  serving      us-east-1');
  });
});

describe('lifeboat --help', () => {
  it('lists start, status and history', async () => {
    const { stdout } = await cli('--help');
    for (const command of ['lifeboat start <workflow>', 'lifeboat status', 'lifeboat history'])
      expect(stdout).toContain(command);
  });
});

describe('which config the commands that act on a deployment read', () => {
  it.each([
    [['start', 'failover', '--app', 'ai-gateway', '--to', 'us-west-2']],
    [['status']],
    [['history', '--app', 'ai-gateway']],
  ])(
    '%j refuses without ./lifeboat.config.json or --config, naming both, and calls nothing',
    async (argv) => {
      const empty = mkdtempSync(join(tmpdir(), 'lifeboat-noconfig-'));
      const { code, stdout, stderr } = await cliIn(empty, ...argv);
      expect(code).toBe(EXIT.usage);
      expect(stdout).toBe('');
      expect(stderr).toContain('no config: ./lifeboat.config.json does not exist here');
      expect(stderr).toContain('or pass --config <file>');
      expect(stderr).toContain('never acts on the example');
      for (const mock of [...Object.values(sfn.mocks), ...Object.values(dynamo.mocks)])
        expect(mock.calls()).toHaveLength(0);
    },
  );

  it('reads --config when given, wherever it runs', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'lifeboat-noconfig-'));
    const { stderr } = await cliIn(
      empty,
      'status',
      '--config',
      join(HOME, 'lifeboat.config.json'),
      '--app',
      'gateway',
    );
    expect(stderr).toContain('--app: no application named "gateway"');
  });
});

describe('lifeboat unlock', () => {
  const LOCK = {
    owner: 'cli-failover-ai-gateway-us-west-2-x',
    acquiredAt: '2030-01-01T00:00:00.000Z',
    leaseExpiresAt: '2030-01-01T05:00:00.000Z',
  };
  const ARGS = ['unlock', '--app', 'ai-gateway', '--reason', 'the run died with its region', '--by', 'alice'];

  function owner(status: 'RUNNING' | 'FAILED' | undefined, region = 'us-west-2'): void {
    for (const r of REGIONS) {
      deployed(r);
      const mock = sfn.mocks[r]!.on(DescribeExecutionCommand);
      if (status !== undefined && r === region)
        mock.resolves({
          executionArn: execution(r, LOCK.owner),
          stateMachineArn: MACHINE(r),
          name: LOCK.owner,
          status,
          startDate: at(-600),
          ...(status === 'RUNNING' ? {} : { stopDate: at(-300) }),
        });
      else
        mock.rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
    }
  }

  it('releases a lock whose run has ended, and records who and why', async () => {
    ledger([], LOCK);
    owner('FAILED');
    for (const r of REGIONS) {
      dynamo.mocks[r]!.on(DeleteItemCommand).resolves({});
      dynamo.mocks[r]!.on(PutItemCommand).resolves({});
    }
    const { code, stdout } = await cli(...ARGS);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain(`Released ai-gateway's lock, held by ${LOCK.owner} (FAILED at`);
    expect(dynamo.mocks['us-east-1']).toHaveReceivedCommandWith(DeleteItemCommand, {
      Key: { pk: { S: 'APP#ai-gateway' }, sk: { S: 'LOCK' } },
    });
    const put = dynamo.mocks['us-east-1']!.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(JSON.stringify(put.Item)).toContain('break-glass');
    expect(JSON.stringify(put.Item)).toContain('alice');
    expect(JSON.stringify(put.Item)).toContain('the run died with its region');
  });

  it('refuses while the run that holds the lock is RUNNING, and says how to stop it', async () => {
    ledger([], LOCK);
    owner('RUNNING');
    const { code, stderr } = await cli(...ARGS);
    expect(code).toBe(1);
    expect(stderr).toContain(`which is RUNNING (failover in us-west-2); the lock is not stuck`);
    expect(stderr).toContain(`lifeboat stop ${LOCK.owner} --app ai-gateway`);
    for (const r of REGIONS) expect(dynamo.mocks[r]).not.toHaveReceivedCommand(DeleteItemCommand);
  });

  it('refuses when a region that may run it does not answer', async () => {
    ledger([], LOCK);
    owner(undefined);
    sfn.mocks['eu-west-1']!.on(ListStateMachinesCommand).rejects(
      Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }),
    );
    const { code, stderr } = await cli(...ARGS);
    expect(code).toBe(1);
    expect(stderr).toContain('cannot prove that');
    expect(stderr).toContain('eu-west-1 (TimeoutError: connect ETIMEDOUT) did not answer');
    for (const r of REGIONS) expect(dynamo.mocks[r]).not.toHaveReceivedCommand(DeleteItemCommand);
  });

  it('does nothing for a lock whose lease ran out, or no lock, and needs a reason', async () => {
    ledger([], { ...LOCK, leaseExpiresAt: '2030-01-01T00:05:00.000Z' });
    expect((await cli(...ARGS)).stdout).toContain(
      'ran out at 2030-01-01T00:05:00.000Z: the next run takes it',
    );
    ledger([]);
    expect((await cli(...ARGS)).stdout).toContain('ai-gateway holds no lock');
    const missing = await cli('unlock', '--app', 'ai-gateway');
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain('--reason is required');
    for (const r of REGIONS) expect(dynamo.mocks[r]).not.toHaveReceivedCommand(DeleteItemCommand);
  });
});

describe('lifeboat stop', () => {
  const NAME = 'cli-failover-ai-gateway-us-west-2-y';

  function running(
    input: Record<string, unknown> = { application: 'ai-gateway', targetRegion: 'us-west-2' },
  ): void {
    for (const r of REGIONS) {
      deployed(r);
      sfn.mocks[r]!.on(DescribeExecutionCommand).rejects(
        Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }),
      );
      if (r === 'us-west-2')
        sfn.mocks[r]!.on(DescribeExecutionCommand, { executionArn: execution(r, NAME) }).resolves({
          executionArn: execution(r, NAME),
          stateMachineArn: MACHINE(r),
          name: NAME,
          status: 'RUNNING',
          startDate: at(-120),
          input: JSON.stringify(input),
        });
    }
    sfn.mocks['us-west-2']!.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 1, timestamp: at(-120), type: 'ExecutionStarted' },
        {
          id: 2,
          timestamp: at(-110),
          type: 'TaskStateEntered',
          stateEnteredEventDetails: { name: 'PromoteDatabase' },
        },
      ],
    });
    sfn.mocks['us-west-2']!.on(StopExecutionCommand).resolves({ stopDate: NOW });
    for (const r of REGIONS) dynamo.mocks[r]!.on(PutItemCommand).resolves({});
  }

  it('stops a running workflow with who and why, says where it was, and records it', async () => {
    running();
    const { code, stdout } = await cli(
      'stop',
      NAME,
      '--app',
      'ai-gateway',
      '--reason',
      'wrong target',
      '--by',
      'bob',
    );
    expect(code).toBe(EXIT.ok);
    expect(sfn.mocks['us-west-2']).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: execution('us-west-2', NAME),
      error: 'StoppedByOperator',
      cause: 'stopped by bob: wrong target',
    });
    expect(stdout).toContain(`Stopped ${NAME} (failover in us-west-2) in state PromoteDatabase.`);
    const put = dynamo.mocks['us-east-1']!.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(JSON.stringify(put.Item)).toContain('PromoteDatabase');
  });

  it("refuses to stop another application's run, and names an unknown one", async () => {
    running({ application: 'ai-gateway-drill' });
    const other = await cli('stop', NAME, '--app', 'ai-gateway', '--reason', 'x');
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('runs for ai-gateway-drill, not ai-gateway');
    expect(sfn.mocks['us-west-2']).not.toHaveReceivedCommand(StopExecutionCommand);
    const unknown = await cli('stop', 'nope', '--app', 'ai-gateway', '--reason', 'x');
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('no Lifeboat execution named nope in us-east-1, us-west-2, eu-west-1');
  });
});

describe('lifeboat weights', () => {
  const REASON = ['--reason', 'send a slice back by hand', '--by', 'carol'];

  function estate(roles: Record<string, 'writer' | 'replica' | 'standalone' | 'down'>): void {
    weights({ 'us-east-1': 0, 'us-west-2': 100, 'eu-west-1': 0 });
    // The detection stack's checks: an endpoint check and a record's calculated check per region.
    const hosts: Record<string, string> = {
      'us-east-1': 'use1.gateway.example.com',
      'us-west-2': 'usw2.gateway.example.com',
      'eu-west-1': 'euw1.gateway.example.com',
    };
    route53.on(ListHealthChecksCommand).resolves({
      HealthChecks: REGIONS.flatMap((r) => [
        {
          Id: `rec-${r}`,
          CallerReference: `rec-${r}`,
          HealthCheckConfig: { Type: 'CALCULATED' as const },
          HealthCheckVersion: 1,
        },
        {
          Id: `end-${r}`,
          CallerReference: `end-${r}`,
          HealthCheckConfig: { Type: 'HTTPS' as const, FullyQualifiedDomainName: hosts[r] },
          HealthCheckVersion: 1,
        },
      ]),
      IsTruncated: false,
      MaxItems: 100,
      Marker: '',
    });
    const tags = (r: string, role: string) => [
      { Key: 'lifeboat:application', Value: 'ai-gateway' },
      { Key: 'lifeboat:region', Value: r },
      { Key: 'lifeboat:role', Value: role },
    ];
    route53.on(ListTagsForResourcesCommand).resolves({
      ResourceTagSets: REGIONS.flatMap((r) => [
        { ResourceType: 'healthcheck' as const, ResourceId: `rec-${r}`, Tags: tags(r, 'record') },
        { ResourceType: 'healthcheck' as const, ResourceId: `end-${r}`, Tags: tags(r, 'endpoint') },
      ]),
    });
    route53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: '/change/C123', Status: 'PENDING', SubmittedAt: NOW },
    });
    for (const [region, role] of Object.entries(roles)) {
      if (role === 'down') {
        rds.mocks[region]!.on(DescribeDBInstancesCommand).rejects(
          Object.assign(new Error('down'), { name: 'TimeoutError' }),
        );
        continue;
      }
      rds.mocks[region]!.on(DescribeDBInstancesCommand).callsFake(
        (input: DescribeDBInstancesCommandInput) => ({
          DBInstances: [
            {
              DBInstanceIdentifier: input.DBInstanceIdentifier,
              DBInstanceStatus: 'available',
              ...(role === 'replica'
                ? {
                    ReadReplicaSourceDBInstanceIdentifier:
                      'arn:aws:rds:us-west-2:123456789012:db:ai-gateway-db-usw2',
                  }
                : {}),
            },
          ],
        }),
      );
    }
    for (const r of REGIONS) dynamo.mocks[r]!.on(PutItemCommand).resolves({});
  }

  it('submits the weights named, keeps the others, and records who, why and what was before', async () => {
    estate({ 'us-east-1': 'standalone' });
    // us-east-1 takes writes while us-west-2 carries the traffic: a second writer, unless a person says so.
    const refused = await cli('weights', '--app', 'ai-gateway', '--set', 'us-east-1=10', ...REASON);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "us-east-1's database accepts writes (standalone) while us-west-2 carries the traffic weight",
    );
    expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
    const { code, stdout, stderr } = await cli(
      'weights',
      '--app',
      'ai-gateway',
      '--set',
      'us-east-1=10',
      '--force',
      ...REASON,
    );
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    const change = route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input;
    expect(
      change.ChangeBatch?.Changes?.map((c) => [
        c.ResourceRecordSet?.SetIdentifier,
        c.ResourceRecordSet?.Weight,
      ]),
    ).toEqual([['ai-gateway-use1', 10]]);
    expect(stdout).toContain(
      'Submitted us-east-1=10 for ai-gateway (Route 53 change C123; was us-east-1=0, us-west-2=100, eu-west-1=0)',
    );
    const put = JSON.stringify(
      dynamo.mocks['us-east-1']!.commandCalls(PutItemCommand)[0]!.args[0].input.Item,
    );
    expect(put).toContain('carol');
    expect(put).toContain('break-glass');
  });

  it('refuses all zero, a replica without --force, and a bad pair, changing nothing', async () => {
    estate({ 'us-east-1': 'replica', 'eu-west-1': 'down' });
    const zero = await cli('weights', '--app', 'ai-gateway', '--set', 'us-west-2=0', ...REASON);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain('every record of ai-gateway would weigh 0');
    const replica = await cli(
      'weights',
      '--app',
      'ai-gateway',
      '--set',
      'us-east-1=50,eu-west-1=5',
      ...REASON,
    );
    expect(replica.code).toBe(1);
    expect(replica.stderr).toContain("us-east-1's database is a replica of us-west-2 and accepts no writes");
    expect(replica.stderr).toContain("eu-west-1's database cannot be read");
    expect(route53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    const bad = await cli('weights', '--app', 'ai-gateway', '--set', 'us-east-1=300', ...REASON);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('--set: us-east-1=300: a weight is 0 to 255');
    const nowhere = await cli('weights', '--app', 'ai-gateway', '--set', 'ap-south-1=1', ...REASON);
    expect(nowhere.stderr).toContain('--set: ai-gateway has no record in ap-south-1');
    expect(route53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    const forced = await cli('weights', '--app', 'ai-gateway', '--set', 'us-east-1=50', '--force', ...REASON);
    expect(forced.code).toBe(EXIT.ok);
    expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
  });

  /** Every fence alarm in every region: in ALARM for the records `fenced` names. */
  function fences(fenced: readonly string[], down: readonly string[] = []): void {
    for (const voter of REGIONS) {
      if (down.includes(voter)) {
        const unavailable = Object.assign(new Error(`CloudWatch in ${voter} is not answering`), {
          name: 'ServiceUnavailable',
          $metadata: { httpStatusCode: 503 },
        });
        cloudWatch.mocks[voter]!.on(DescribeAlarmsCommand).rejects(unavailable);
        cloudWatch.mocks[voter]!.on(PutMetricDataCommand).rejects(unavailable);
        continue;
      }
      cloudWatch.mocks[voter]!.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => ({
        MetricAlarms: (input.AlarmNames ?? []).map((name) => ({
          AlarmName: name,
          StateValue: fenced.some((r) => name.startsWith(`lifeboat-ai-gateway-${r}-fence-from-`))
            ? 'ALARM'
            : 'OK',
          StateUpdatedTimestamp: NOW,
        })),
      }));
      cloudWatch.mocks[voter]!.on(PutMetricDataCommand).resolves({});
    }
  }

  it('fences a region with its vote in its fence region, works with us-east-1 down, and records it', async () => {
    estate({ 'us-east-1': 'standalone' });
    fences([], ['us-east-1']);
    const { code, stdout, stderr } = await cli(
      'fence',
      '--app',
      'ai-gateway',
      '--region',
      'us-east-1',
      ...REASON,
    );
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    // us-east-1's record votes in us-west-2 alone (fenceRegion).
    const put = cloudWatch.mocks['us-west-2']!.commandCalls(PutMetricDataCommand)[0]!.args[0].input;
    expect(put.MetricData?.[0]).toMatchObject({
      MetricName: 'Fence',
      Value: 1,
      Dimensions: [
        { Name: 'Application', Value: 'ai-gateway' },
        { Name: 'Region', Value: 'us-east-1' },
      ],
    });
    expect(cloudWatch.mocks['eu-west-1']!).not.toHaveReceivedCommand(PutMetricDataCommand);
    expect(cloudWatch.mocks['us-east-1']!).not.toHaveReceivedCommand(PutMetricDataCommand);
    expect(stdout).toContain(
      'Fenced ai-gateway in us-east-1: vote 1 published in us-west-2; Route 53 follows',
    );
    const item = JSON.stringify(
      dynamo.mocks['us-east-1']!.commandCalls(PutItemCommand)[0]!.args[0].input.Item,
    );
    expect(item).toContain('break-glass');
    expect(item).toContain('fence');
  });

  it('refuses to fence the last open record, and the serving region without --force', async () => {
    estate({});
    fences(['us-east-1', 'eu-west-1']);
    const last = await cli('fence', '--app', 'ai-gateway', '--region', 'us-west-2', '--force', ...REASON);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain('every other record of ai-gateway is fenced (us-east-1, eu-west-1)');
    fences([]);
    const serving = await cli('fence', '--app', 'ai-gateway', '--region', 'us-west-2', ...REASON);
    expect(serving.code).toBe(1);
    expect(serving.stderr).toContain("us-west-2 carries ai-gateway's traffic weight");
    for (const r of REGIONS) expect(cloudWatch.mocks[r]!).not.toHaveReceivedCommand(PutMetricDataCommand);
    const bad = await cli('fence', '--app', 'ai-gateway', '--region', 'ap-south-1', ...REASON);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('--region: ai-gateway has no record in ap-south-1');
  });

  it('unfences a replica, and refuses a writable old writer while another region serves', async () => {
    estate({ 'us-east-1': 'standalone', 'eu-west-1': 'replica' });
    fences(['us-east-1', 'eu-west-1']);
    const writer = await cli('unfence', '--app', 'ai-gateway', '--region', 'us-east-1', ...REASON);
    expect(writer.code).toBe(1);
    expect(writer.stderr).toContain(
      "us-east-1's database accepts writes (standalone) while us-west-2 carries the traffic weight",
    );
    const replica = await cli('unfence', '--app', 'ai-gateway', '--region', 'eu-west-1', ...REASON);
    expect(replica.stderr).toBe('');
    expect(replica.code).toBe(EXIT.ok);
    // eu-west-1's record votes in us-west-2 alone (fenceRegion).
    for (const r of REGIONS) {
      const puts = cloudWatch.mocks[r]!.commandCalls(PutMetricDataCommand);
      expect([
        r,
        puts.map((c) => [
          c.args[0].input.MetricData?.[0]?.Dimensions?.[1]?.Value,
          c.args[0].input.MetricData?.[0]?.Value,
        ]),
      ]).toEqual([r, r === 'us-west-2' ? [['eu-west-1', 0]] : []]);
    }
  });
});
