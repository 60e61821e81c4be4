import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { jest } from '@jest/globals';
import type { Stack } from 'aws-cdk-lib';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { flattenIntrinsics } from '../../infra/constructs/nag.ts';
import { signedSlackRequest } from '../../local/simulate/localSlack.ts';
import { bundledConfigText } from '../../shared/config/bundledConfig.ts';
import { LEDGER_KEY_ALIAS } from '../../shared/config/naming.ts';
import { APPROVE_ACTION } from '../../shared/slack/messages.ts';
import {
  policyLikeProperties,
  resourcesOf,
  statementsOf,
  UNSCOPED_ACTIONS,
  type PolicyStatementOf,
} from '../support/iamPolicies.ts';
import { synthLifeboat, TEST_ACCOUNT, testConfig } from '../support/synth.ts';
import { reliabilityFigures } from './support/figures.ts';
import {
  actorOf,
  keyTargets,
  names,
  reachOf,
  referenceResolver,
  secretTargets,
  tableTargets,
} from './support/iamReach.ts';

/**
 * The security properties of every synthesized policy, across every stack of a deployment (the
 * state stacks, the control planes of every region, the detection stack): what may be granted on
 * what, who may be named as a principal, how the one public endpoint is guarded, and exactly which
 * roles reach the ledger, its keys and the Slack secrets. The exact action list of each function
 * and the scoping of each service's resources are test/infra/iam.test.ts's.
 */

const figures = reliabilityFigures(import.meta.url);
const config = testConfig();
const { stacks } = synthLifeboat(config);
const ALL: readonly Stack[] = [stacks.detection, ...stacks.states.values(), ...stacks.controlPlanes.values()];
const STACK_NAMES = ALL.map((s) => s.stackName);
const statements = ALL.flatMap(statementsOf);
const allows = statements.filter((s) => s.effect === 'Allow');
const ROOT = `aws:arn:<AWS::Partition>:iam::${TEST_ACCOUNT}:root`;
const stackNamed = (name: string) => ALL.find((s) => s.stackName === name)!;
const CONTROL_PLANES = new Set([...stacks.controlPlanes.values()].map((s) => s.stackName));

/**
 * The only service-wide action an Allow may name, and where: a key policy's statement for this
 * account's root with no condition.
 */
const IAM_DELEGATION = {
  action: 'kms:*',
  why: "AWS's default key policy: the account's root hands the key to IAM, so who may use it is decided by the identity policies, whose reach is checked below; without it no one could manage the key",
};

/** A statement's actions that allow everything (`*`) or a whole service (`svc:*`). */
const serviceWide = (s: PolicyStatementOf) => s.actions.filter((a) => a === '*' || a.endsWith(':*'));
const isDelegation = (s: PolicyStatementOf) =>
  s.kind === 'key policy' &&
  s.principals.length === 1 &&
  s.principals[0] === ROOT &&
  s.condition === undefined &&
  s.actions.length === 1 &&
  s.actions[0] === IAM_DELEGATION.action;

/** Condition keys that tie a statement for principal `*` to this account or one source. */
const LIMITING_KEYS = ['aws:SourceArn', 'aws:SourceAccount', 'aws:PrincipalAccount', 'aws:PrincipalOrgID'];
const conditionKeys = (s: PolicyStatementOf) =>
  Object.values(s.condition ?? {}).flatMap((c) => Object.keys(c));

/** The stack's Function URLs, each with its function's logical id and name and its auth type. */
function functionUrls(stack: Stack): { functionId: string; functionName: unknown; authType: unknown }[] {
  const resources = resourcesOf(stack);
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::Lambda::Url')
    .map((r) => {
      const functionId = flattenIntrinsics(r.Properties?.TargetFunctionArn).replace(/^<(\w+)\.Arn>$/, '$1');
      return {
        functionId,
        functionName: resources[functionId]?.Properties?.FunctionName,
        authType: r.Properties?.AuthType,
      };
    });
}

describe('every policy of every stack', () => {
  it('reads every policy the templates carry: no policy sits where the walk does not look', () => {
    for (const stack of ALL) {
      expect({ stack: stack.stackName, unwalked: policyLikeProperties(resourcesOf(stack)) }).toEqual({
        stack: stack.stackName,
        unwalked: [],
      });
      // Each stack has at least a key policy or a role: a walk that found nothing read nothing.
      expect(statements.filter((s) => s.stack === stack.stackName).length).toBeGreaterThan(0);
    }
    expect(new Set(statements.map((s) => s.kind))).toEqual(
      new Set([
        'identity',
        'trust',
        'key policy',
        'topic policy',
        'queue policy',
        'log resource policy',
        'lambda permission',
      ]),
    );
    figures.count();
  });

  it.each(STACK_NAMES)(
    'allows no action "*" or "<service>:*" in %s, and no NotAction, NotResource or NotPrincipal',
    (name) => {
      const found = allows
        .filter((s) => s.stack === name && !isDelegation(s))
        .flatMap((s) => [...serviceWide(s), ...s.negations].map((what) => `${s.source}: ${what}`));
      expect(found).toEqual([]);
      figures.count();
    },
  );

  it.each(STACK_NAMES)('grants no role an action with a wildcard in %s', (name) => {
    const wildcards = allows
      .filter((s) => s.stack === name && s.kind === 'identity')
      .flatMap((s) => s.actions.filter((a) => a.includes('*')).map((a) => `${s.subject}: ${a}`));
    expect(wildcards).toEqual([]);
    figures.count();
  });

  it.each(STACK_NAMES)('grants Resource "*" in %s only for actions AWS does not scope', (name) => {
    for (const s of allows.filter((x) => x.stack === name)) {
      if (s.kind === 'trust') continue; // a trust policy names no resource: it is the role's own
      if (s.kind === 'key policy') {
        // In a key policy "*" is the key the policy is attached to, and nothing else.
        expect({ source: s.source, resources: s.resources }).toEqual({ source: s.source, resources: ['*'] });
        continue;
      }
      if (s.kind !== 'identity') {
        // A topic's, queue's, log group's or function's policy names its own resource.
        expect(s.resources.length).toBeGreaterThan(0);
        expect({ source: s.source, star: s.resources.includes('*') }).toEqual({
          source: s.source,
          star: false,
        });
        continue;
      }
      if (!s.resources.includes('*')) continue;
      expect({ owner: s.subject, resources: s.resources }).toEqual({ owner: s.subject, resources: ['*'] });
      for (const action of s.actions)
        expect({ owner: s.subject, action, reason: UNSCOPED_ACTIONS[action] }).toEqual({
          owner: s.subject,
          action,
          reason: expect.any(String),
        });
    }
    figures.count();
  });

  it.each(STACK_NAMES)(
    'names principal "*" in %s only under a condition that limits it, no other account, and only services as role trustees',
    (name) => {
      const urlFunctions = new Set(functionUrls(stackNamed(name)).map((u) => `<${u.functionId}.Arn>`));
      for (const s of allows.filter((x) => x.stack === name && x.kind !== 'identity')) {
        for (const principal of s.principals) {
          if (s.kind === 'trust') {
            // Only AWS services assume Lifeboat's roles: no person, account or federation.
            expect({ source: s.source, principal }).toEqual({
              source: s.source,
              principal: expect.stringMatching(/^service:[a-z0-9.-]+\.amazonaws\.com$/),
            });
          } else if (principal === '*') {
            const urlOnly = s.condition?.StringEquals?.['lambda:FunctionUrlAuthType'] === 'NONE';
            const viaUrl = s.condition?.Bool?.['lambda:InvokedViaFunctionUrl'] === true;
            // A Function URL with no IAM auth is public by design: its function's permission allows
            // only calls through the URL, and the URL's own guard is the Slack signature (below).
            const publicUrl =
              s.kind === 'lambda permission' && (urlOnly || viaUrl) && urlFunctions.has(s.subject);
            const limited = conditionKeys(s).some((k) => LIMITING_KEYS.includes(k));
            expect({ source: s.source, limited: publicUrl || limited }).toEqual({
              source: s.source,
              limited: true,
            });
          } else if (principal.startsWith('aws:')) {
            expect({ source: s.source, principal }).toEqual({ source: s.source, principal: ROOT });
          } else {
            expect({ source: s.source, principal }).toEqual({
              source: s.source,
              principal: expect.stringMatching(/^service:[a-z0-9.-]+\.amazonaws\.com$/),
            });
          }
        }
      }
      figures.count();
    },
  );

  it.each(STACK_NAMES)('attaches no managed policy to any role in %s', (name) => {
    const roles = Object.values(resourcesOf(stackNamed(name))).filter((r) => r.Type === 'AWS::IAM::Role');
    for (const role of roles) expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    figures.count();
  });
});

describe("the Slack callback's endpoint", () => {
  it('is the one Function URL of each control plane, on lifeboat-slack-callback, with no IAM auth', () => {
    const urls = Object.fromEntries(ALL.map((s) => [s.stackName, functionUrls(s)]));
    expect(urls).toEqual(
      Object.fromEntries(
        ALL.map((s) => [
          s.stackName,
          CONTROL_PLANES.has(s.stackName)
            ? [{ functionId: expect.any(String), functionName: 'lifeboat-slack-callback', authType: 'NONE' }]
            : [],
        ]),
      ),
    );
    figures.count();
  });

  // The URL's function, loaded from its handler file (functions/<name>/handler.ts) as Lambda runs
  // it: Secrets Manager, DynamoDB and Step Functions mocked, Slack's Web API a loopback server.
  const SIGNING_SECRET = 'the-signing-secret-of-the-slack-app';
  const slackCalls: string[] = [];
  const slack = createServer((request, response) => {
    slackCalls.push(request.url ?? '');
    response.setHeader('content-type', 'application/json');
    response.end('{"ok":true}');
  });
  const secrets = mockClient(SecretsManagerClient);
  const dynamo = mockClient(DynamoDBClient);
  const sfn = mockClient(SFNClient);
  const saved = new Map<string, string | undefined>();
  let handler: (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;

  beforeAll(async () => {
    await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
    const [url] = functionUrls(stacks.controlPlanes.get('us-east-1')!);
    const name = String(url?.functionName).replace(/^lifeboat-/, '');
    const env: Record<string, string> = {
      LIFEBOAT_CONFIG: bundledConfigText(config),
      AWS_REGION: 'us-east-1',
      LIFEBOAT_TABLE_NAME: config.ledger.tableName,
      LIFEBOAT_ACCOUNT: TEST_ACCOUNT,
      LIFEBOAT_PARTITION: 'aws',
      LIFEBOAT_SLACK_API_URL: `http://127.0.0.1:${(slack.address() as AddressInfo).port}/api/`,
      POWERTOOLS_SERVICE_NAME: `lifeboat-${name}`,
    };
    for (const [key, value] of Object.entries(env)) {
      saved.set(key, process.env[key]);
      process.env[key] = value;
    }
    ({ handler } = (await import(`../../functions/${name}/handler.ts`)) as { handler: typeof handler });
  });
  afterAll(() => {
    slack.close();
    for (const [key, value] of saved)
      if (value === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = value;
  });
  beforeEach(() => {
    for (const mock of [secrets, dynamo, sfn]) mock.reset();
    slackCalls.length = 0;
    secrets
      .on(GetSecretValueCommand, { SecretId: config.slack.signingSecretSecretName })
      .resolves({ SecretString: SIGNING_SECRET });
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  const context = {
    functionName: 'lifeboat-slack-callback',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    getRemainingTimeInMillis: () => 10_000,
  } as Context;
  /** An approver's press on Approve, as Slack would sign it with `secret`. */
  const press = (secret: string) =>
    signedSlackRequest({
      payload: {
        type: 'block_actions',
        user: { id: config.slack.approvers[0] },
        channel: { id: config.slack.channelId },
        actions: [{ action_id: APPROVE_ACTION, value: 'abc123def4' }],
      },
      timestamp: Date.now() / 1000,
      secret,
    });
  const callsMade = () => ({
    dynamodb: dynamo.calls().length,
    stepFunctions: sfn.calls().length,
    slack: slackCalls.length,
  });

  it.each([
    {
      label: 'an unsigned request',
      request: () => {
        const { headers, body } = press(SIGNING_SECRET);
        return { headers: { 'content-type': headers['content-type'] }, body };
      },
    },
    { label: 'a request signed with another secret', request: () => press('a-secret-slack-never-had') },
    {
      label: 'a signed request whose body was changed after signing',
      request: () => {
        const { headers, body } = press(SIGNING_SECRET);
        return { headers, body: body.replace('abc123def4', 'xyz987wvu6') };
      },
    },
  ])('refuses $label with 401 before it reads or changes anything', async ({ request }) => {
    const response = await handler({ version: '2.0', ...request() }, context);
    expect(response).toMatchObject({ statusCode: 401, body: 'invalid request' });
    expect(callsMade()).toEqual({ dynamodb: 0, stepFunctions: 0, slack: 0 });
    figures.count();
    figures.rejected(dynamo.calls().length + sfn.calls().length + slackCalls.length);
  });

  it('lets the same press through to the approvals once it is signed with the signing secret', async () => {
    // The control for the refusals above: the mocks do see the handler's calls once it gets past the
    // signature, so their zero counts mean the signature stopped the request.
    dynamo.onAnyCommand().resolves({});
    const response = await handler({ version: '2.0', ...press(SIGNING_SECRET) }, context);
    expect(response.statusCode).not.toBe(401);
    expect(callsMade().dynamodb).toBeGreaterThan(0);
    figures.count();
  });
});

/** An actor's reach into one resource group, and why it needs it. */
interface Need {
  readonly reach: readonly string[];
  readonly why: string;
}

const WRITES_LEDGER = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];
const READS_SECRET = ['secretsmanager:GetSecretValue'];

/**
 * Everything that may reach each resource group, by owner (in whichever stacks it exists), with the
 * actions: an owner not listed must reach nothing of the group, a listed one exactly this.
 */
const REACH: readonly { readonly group: string; readonly needs: Readonly<Record<string, Need>> }[] = [
  {
    group: 'ledger table',
    needs: {
      'lifeboat-failover-input': {
        reach: ['dynamodb:PutItem', 'dynamodb:Query'],
        why: 'validateInput reads past runs for the current primary and records a rejected input',
      },
      'lifeboat-lock': {
        reach: [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:GetItem in other regions',
          'dynamodb:PutItem',
        ],
        why: "takes, confirms and releases an application's lock; confirming reads it in every other replica",
      },
      'lifeboat-preflight': { reach: ['dynamodb:Query'], why: 'the cooldown check lists past runs' },
      'lifeboat-ledger': { reach: ['dynamodb:PutItem'], why: 'records each failover and failback run' },
      'lifeboat-approval': {
        reach: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        why: 'stores each approval with its task token, closes approvals and claims offers',
      },
      'lifeboat-slack-callback': {
        reach: ['dynamodb:GetItem', 'dynamodb:Query on index byKind', 'dynamodb:UpdateItem'],
        why: "counts an approver's decision once (a conditional update) and reads the approval it decides; a press on an expired offer is pointed to the open one the index lists",
      },
      'lifeboat-offer': {
        reach: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:Query on index byKind',
          'dynamodb:UpdateItem',
        ],
        why: 'reads health, lock and past runs and records the offer; the index lists the approvals still waiting',
      },
      'lifeboat-run-ended': {
        reach: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        why: "records a run stopped or timed out (reading its record first) and cuts its lock's lease",
      },
      'lifeboat-trigger': {
        reach: ['dynamodb:PutItem', 'dynamodb:Query'],
        why: "reads past runs when Route 53's API is down; records the regions' health the offer reads",
      },
      'lifeboat-backup': { reach: ['dynamodb:PutItem'], why: 'records each backup' },
      'lifeboat-restore-test': { reach: ['dynamodb:PutItem'], why: 'records each restore test' },
      'lifeboat-drill': {
        reach: ['dynamodb:PutItem', 'dynamodb:Query'],
        why: 'reads past runs (the primary, the cooldown, the latest restore test) and records each drill',
      },
      'lifeboat-evacuation': {
        reach: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        why: "reads each application's past runs and its failovers' records, takes and gives back the region's evacuation lock, and records the evacuation",
      },
    },
  },
  {
    group: LEDGER_KEY_ALIAS,
    needs: {
      'this account': {
        reach: [
          IAM_DELEGATION.action,
          ...['CreateGrant', 'Decrypt', 'DescribeKey', 'Encrypt', 'GenerateDataKey*', 'ReEncrypt*'].map(
            (a) => `kms:${a} via dynamodb`,
          ),
        ],
        why: "the key policy: IAM decides who uses the key (the roles below), and only through DynamoDB in the key's region",
      },
      'service:cloudwatch.amazonaws.com': {
        reach: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        why: "Lifeboat's alarms in the key's region publish to the alarm topic it encrypts",
      },
      // DynamoDB uses the table's key with its caller's permissions: Decrypt to read, all three to write.
      'lifeboat-failover-input': { reach: WRITES_LEDGER, why: 'reads and writes the ledger (see the table)' },
      'lifeboat-lock': {
        reach: [...WRITES_LEDGER, 'kms:Decrypt in other regions'],
        why: "writes the lock; reads the other replicas' locks, each under its own region's key",
      },
      'lifeboat-preflight': { reach: ['kms:Decrypt'], why: 'reads past runs only' },
      'lifeboat-ledger': { reach: WRITES_LEDGER, why: 'writes run records' },
      'lifeboat-approval': { reach: WRITES_LEDGER, why: 'reads and writes approvals' },
      'lifeboat-slack-callback': { reach: WRITES_LEDGER, why: 'reads and decides approvals' },
      'lifeboat-offer': { reach: WRITES_LEDGER, why: 'reads the ledger and writes offers' },
      'lifeboat-run-ended': { reach: WRITES_LEDGER, why: 'reads and writes run records and the lock' },
      'lifeboat-trigger': { reach: WRITES_LEDGER, why: 'reads past runs and writes health records' },
      'lifeboat-backup': { reach: WRITES_LEDGER, why: 'writes backup records' },
      'lifeboat-restore-test': { reach: WRITES_LEDGER, why: 'writes restore-test records' },
      'lifeboat-drill': { reach: WRITES_LEDGER, why: 'reads past runs and writes drill records' },
      'lifeboat-evacuation': { reach: WRITES_LEDGER, why: 'reads past runs, writes its lock and record' },
    },
  },
  {
    group: config.slack.signingSecretSecretName,
    needs: {
      'lifeboat-slack-callback': { reach: READS_SECRET, why: "verifies each request's signature" },
    },
  },
  {
    group: config.slack.botTokenSecretName,
    needs: {
      'lifeboat-notify': { reach: READS_SECRET, why: 'posts how a run ended' },
      'lifeboat-approval': { reach: READS_SECRET, why: 'posts the approval request with its buttons' },
      'lifeboat-slack-callback': { reach: READS_SECRET, why: 'updates the message once a decision counts' },
      'lifeboat-offer': { reach: READS_SECRET, why: 'posts the failback offer' },
      'lifeboat-backup': { reach: READS_SECRET, why: 'posts a failed backup' },
      'lifeboat-restore-test': { reach: READS_SECRET, why: 'posts a failed restore test' },
      'lifeboat-drill': { reach: READS_SECRET, why: "posts a drill's findings" },
      'lifeboat-run-ended': {
        reach: READS_SECRET,
        why: "says in a stopped or timed-out run's thread what it had changed",
      },
    },
  },
];

describe('who reaches the ledger, its keys and the Slack secrets', () => {
  const resolve = referenceResolver(ALL);
  const targets = [
    ...tableTargets(ALL, TEST_ACCOUNT),
    ...keyTargets(ALL, TEST_ACCOUNT),
    ...secretTargets(
      [config.slack.signingSecretSecretName, config.slack.botTokenSecretName],
      config.controlPlaneRegions,
      TEST_ACCOUNT,
    ),
  ];
  /** Every role of the deployment (each has a trust policy): whoever is not in a table reaches nothing of it. */
  const roles = statements.filter((s) => s.kind === 'trust').map((s) => actorOf(s.subject, s.stack));

  it('knows every resource group it checks, and every key of the deployment is in one', () => {
    expect(new Set(targets.map((t) => t.group))).toEqual(new Set(REACH.map((r) => r.group)));
    figures.count();
  });

  it.each(REACH)(
    'lets only the listed roles reach $group, with exactly the listed actions',
    ({ group, needs }) => {
      const reach = reachOf(
        statements,
        targets.filter((t) => t.group === group),
        resolve,
      );
      const ownerOf = (actor: string) => actor.replace(/ \([^()]*\)$/, '');
      const actual: Record<string, string[]> = {};
      const expected: Record<string, string[]> = {};
      for (const actor of new Set([...roles, ...reach.keys()])) {
        const got = [...(reach.get(actor) ?? [])].sort();
        const want = [...(needs[ownerOf(actor)]?.reach ?? [])].sort();
        if (got.length > 0) actual[actor] = got;
        if (want.length > 0) expected[actor] = want;
      }
      // A grant added to a role not listed (or an action added to a listed one) shows here by name.
      expect(actual).toEqual(expected);
      // Every listed owner exists somewhere and says why: the table cannot keep entries for nothing.
      for (const [owner, need] of Object.entries(needs)) {
        expect({ owner, exists: Object.keys(actual).some((a) => ownerOf(a) === owner) }).toEqual({
          owner,
          exists: true,
        });
        expect(need.why.length).toBeGreaterThan(10);
      }
      figures.count();
    },
  );

  it('names no table but the ledger and no secret but the Slack ones in any grant', () => {
    const stray = allows
      .filter((s) => s.kind === 'identity')
      .flatMap((s) =>
        ['dynamodb', 'secretsmanager'].flatMap((service) => {
          if (!s.actions.some((a) => a.startsWith(`${service}:`))) return [];
          const own = targets.filter((t) => t.service === service);
          return s.resources
            .filter((r) => !own.some((t) => names(resolve(s.stack, r), t)))
            .map((r) => `${s.subject} (${s.stack}): ${r}`);
        }),
      );
    expect(stray).toEqual([]);
    figures.count();
  });
});
