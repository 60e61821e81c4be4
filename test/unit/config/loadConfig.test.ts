import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPath, loadConfig, parseConfig } from '../../../shared/config/loadConfig.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfigDocument } from '../../support/exampleConfig.ts';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- the cases below break an untyped JSON document on purpose */
type Doc = any;

function problemsOf(mutate: (doc: Doc) => void): readonly string[] {
  const doc = exampleConfigDocument();
  mutate(doc);
  try {
    parseConfig(doc, 'test.json');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('loadConfig', () => {
  it('loads the example config with its defaults applied', () => {
    const config = loadConfig(EXAMPLE_CONFIG_PATH);
    expect(config.controlPlaneRegions).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
    const gateway = config.applications[0]!;
    expect(gateway.name).toBe('ai-gateway');
    expect(gateway.regions).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
    expect(gateway.database.engine).toBe('rds-read-replica');
    expect(gateway.healthChecks['us-east-1']).toEqual({
      kind: 'endpoint',
      endpoint: 'use1.gateway.example.com',
      path: '/health/liveliness',
      port: 80,
      https: false,
      intervalSeconds: 30,
      failureThreshold: 3,
    });
    const drill = config.applications[1]!;
    // The drill's checks name only the endpoint and path: HTTP on port 80 every 30 s by default.
    expect(drill.healthChecks['us-west-2']).toEqual({
      kind: 'endpoint',
      endpoint: 'usw2.drill.gateway.example.com',
      path: '/health/liveliness',
      port: 80,
      https: false,
      intervalSeconds: 30,
      failureThreshold: 3,
    });
    expect(config.fenceVotes).toBe('one');
    expect(config.paging).toEqual({ eventBusName: 'default' });
    expect(drill.automation).toEqual({
      automaticFailover: false,
      outageConfirmationSeconds: 60,
      cooldownMinutes: 60,
      maxReplicaLagSeconds: 30,
      preScaleOnFirstSignal: false,
    });
    expect(drill.database).toMatchObject({
      engine: 'aurora-global',
      globalClusterIdentifier: 'ai-gateway-drill-global',
    });
  });

  it('accepts an existing health check id instead of an endpoint', () => {
    const doc: Doc = exampleConfigDocument();
    doc.applications[1].healthChecks['us-west-2'] = {
      existingHealthCheckId: '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69',
    };
    const config = parseConfig(doc);
    expect(config.applications[1]!.healthChecks['us-west-2']).toEqual({
      kind: 'existing',
      healthCheckId: '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69',
    });
  });

  it('names the file when it does not exist', () => {
    expect(() => loadConfig('/nonexistent/lifeboat.json')).toThrow(
      'Invalid Lifeboat config /nonexistent/lifeboat.json:\n  - cannot read the file: no such file',
    );
  });

  it('says where the JSON is broken when the file is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-config-'));
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "version": 1, }');
    expect(() => loadConfig(file)).toThrow(/not valid JSON: .*position/);
  });

  it('reports every problem at once, not only the first', () => {
    const problems = problemsOf((doc) => {
      doc.version = 2;
      doc.slack.channelId = 'general';
      doc.applications[0].targets.rtoSeconds = -1;
    });
    expect(problems).toHaveLength(3);
  });

  // Each case breaks one thing and names the path (and a word of the fix) the message must carry.
  const cases: [string, (doc: Doc) => void, string, RegExp][] = [
    ['a wrong version', (d) => (d.version = 2), 'version', /expected 1/],
    ['an unknown top-level field', (d) => (d.regions = []), 'regions', /unknown field/],
    [
      'a misspelt application field',
      (d) => (d.applications[0].targetz = {}),
      'applications[0].targetz',
      /unknown field/,
    ],
    [
      'a malformed control-plane region',
      (d) => (d.controlPlaneRegions[1] = 'US-WEST-2'),
      'controlPlaneRegions[1]',
      /AWS region/,
    ],
    [
      'a control-plane region with a typo',
      (d) => (d.controlPlaneRegions[2] = 'eu-wset-1'),
      'controlPlaneRegions[2]',
      /"eu-wset-1" is not an AWS region; did you mean "eu-west-1"\?/,
    ],
    [
      'an application region shaped like one but that AWS does not have',
      (d) => (d.applications[0].regions[2] = 'xx-north-9'),
      'applications[0].regions[2]',
      /"xx-north-9" is not an AWS region; expected one such as "us-east-1"/,
    ],
    [
      'no control-plane regions',
      (d) => (d.controlPlaneRegions = []),
      'controlPlaneRegions',
      /at least 1|>=1/,
    ],
    [
      'a control-plane region listed twice',
      (d) => d.controlPlaneRegions.push('us-east-1'),
      'controlPlaneRegions',
      /listed twice/,
    ],
    ['a bad account id', (d) => (d.account = '12345'), 'account', /12-digit/],
    ['a bad Slack channel', (d) => (d.slack.channelId = '#oncall'), 'slack.channelId', /channel id/],
    ['a bad approver id', (d) => (d.slack.approvers[1] = 'alice'), 'slack.approvers[1]', /user id/],
    ['no approvers', (d) => (d.slack.approvers = []), 'slack.approvers', /at least one approver/],
    [
      'a missing bot token secret',
      (d) => delete d.slack.botTokenSecretName,
      'slack.botTokenSecretName',
      /required/,
    ],
    [
      'an unsupported log retention',
      (d) => (d.logRetentionDays = 45),
      'logRetentionDays',
      /retention periods/,
    ],
    ['no applications', (d) => (d.applications = []), 'applications', /at least one application/],
    [
      'a bad application name',
      (d) => (d.applications[0].name = 'AI Gateway'),
      'applications[0].name',
      /lowercase/,
    ],
    [
      'two applications with one name',
      (d) => (d.applications[1].name = 'ai-gateway'),
      'applications[1].name',
      /already the name/,
    ],
    [
      'a single region',
      (d) => (d.applications[0].regions = ['us-east-1']),
      'applications[0].regions',
      /standby/,
    ],
    [
      'a region without a control plane',
      (d) => (d.controlPlaneRegions = ['us-east-1', 'us-west-2']),
      'applications[0].regions[2]',
      /add it to controlPlaneRegions/,
    ],
    [
      'a region without a DNS record',
      (d) => delete d.applications[0].dns.records['eu-west-1'],
      'applications[0].dns.records.eu-west-1',
      /needs a DNS record/,
    ],
    [
      'a DNS record for a foreign region',
      (d) => (d.applications[1].dns.records['eu-west-1'] = { setIdentifier: 'x', value: 'x.example.com' }),
      'applications[1].dns.records.eu-west-1',
      /not one of the application's regions/,
    ],
    [
      'a region without a quarantine security group',
      (d) => delete d.applications[0].database.quarantineSecurityGroupIds['eu-west-1'],
      'applications[0].database.quarantineSecurityGroupIds.eu-west-1',
      /needs a quarantine security group/,
    ],
    [
      'a quarantine security group that is not a group id',
      (d) => (d.applications[0].database.quarantineSecurityGroupIds['us-east-1'] = 'quarantine'),
      'applications[0].database.quarantineSecurityGroupIds.us-east-1',
      /expected a security group id/,
    ],
    [
      'a record with both alias and value',
      (d) => (d.applications[0].dns.records['us-east-1'].value = '192.0.2.1'),
      'applications[0].dns.records.us-east-1.aliasTarget',
      /exactly one/,
    ],
    [
      'a shared set identifier',
      (d) => (d.applications[0].dns.records['us-west-2'].setIdentifier = 'ai-gateway-use1'),
      'applications[0].dns.records',
      /more than one region/,
    ],
    [
      'a bad hosted zone id',
      (d) => (d.applications[0].dns.hostedZoneId = 'example.com'),
      'applications[0].dns.hostedZoneId',
      /hosted zone id/,
    ],
    [
      'an unsupported record type',
      (d) => (d.applications[0].dns.recordType = 'TXT'),
      'applications[0].dns.recordType',
      /"A"\|"AAAA"\|"CNAME"/,
    ],
    [
      'a bad record name',
      (d) => (d.applications[0].dns.recordName = 'not a name'),
      'applications[0].dns.recordName',
      /DNS name/,
    ],
    [
      'failback steps that go down',
      (d) => (d.applications[0].dns.failback.steps = [10, 50, 25, 100]),
      'applications[0].dns.failback.steps[2]',
      /must increase/,
    ],
    [
      'failback steps that stop short of 100',
      (d) => (d.applications[0].dns.failback.steps = [10, 50]),
      'applications[0].dns.failback.steps',
      /last step must be 100/,
    ],
    [
      'a failback step over 100',
      (d) => (d.applications[0].dns.failback.steps = [50, 150]),
      'applications[0].dns.failback.steps[1]',
      /<=100|100/,
    ],
    [
      'a negative error-rate guard',
      (d) => (d.applications[0].dns.failback.maxErrorRatePercent = -1),
      'applications[0].dns.failback.maxErrorRatePercent',
      />=0/,
    ],
    [
      'a health check interval Route 53 does not offer',
      (d) => (d.applications[0].healthChecks['us-east-1'].intervalSeconds = 15),
      'applications[0].healthChecks.us-east-1.intervalSeconds',
      /10 or 30/,
    ],
    [
      'a failure threshold over 10',
      (d) => (d.applications[0].healthChecks['us-east-1'].failureThreshold = 11),
      'applications[0].healthChecks.us-east-1.failureThreshold',
      /<=10/,
    ],
    [
      'a health check path without a slash',
      (d) => (d.applications[0].healthChecks['us-west-2'].path = 'health'),
      'applications[0].healthChecks.us-west-2.path',
      /starts with "\/"/,
    ],
    [
      'a port out of range',
      (d) => (d.applications[0].healthChecks['us-west-2'].port = 70000),
      'applications[0].healthChecks.us-west-2.port',
      /<=65535/,
    ],
    [
      'a health check with neither endpoint nor id',
      (d) => (d.applications[0].healthChecks['eu-west-1'] = { path: '/' }),
      'applications[0].healthChecks.eu-west-1.endpoint',
      /required/,
    ],
    [
      'a health check with both endpoint and id',
      (d) =>
        (d.applications[0].healthChecks['eu-west-1'].existingHealthCheckId =
          '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69'),
      'applications[0].healthChecks.eu-west-1.endpoint',
      /not both/,
    ],
    [
      'an unknown database engine',
      (d) => (d.applications[0].database.engine = 'mysql'),
      'applications[0].database.engine',
      /rds-read-replica/,
    ],
    [
      'a missing DB instance for a region',
      (d) => delete d.applications[0].database.instances['us-west-2'],
      'applications[0].database.instances.us-west-2',
      /needs a DB instance/,
    ],
    [
      'an Aurora config without its global cluster',
      (d) => delete d.applications[1].database.globalClusterIdentifier,
      'applications[1].database.globalClusterIdentifier',
      /required/,
    ],
    [
      'a bad RDS identifier',
      (d) => (d.applications[0].database.instances['us-east-1'] = '1-db'),
      'applications[0].database.instances.us-east-1',
      /RDS identifier/,
    ],
    [
      'a standby node group larger than active',
      (d) => (d.applications[0].workloads['us-west-2'].nodeGroups[0].standbySize = 9),
      'applications[0].workloads.us-west-2.nodeGroups[0].standbySize',
      /more than activeSize/,
    ],
    [
      'a node group max below its active size',
      (d) => (d.applications[0].workloads['us-west-2'].nodeGroups[0].maxSize = 3),
      'applications[0].workloads.us-west-2.nodeGroups[0].maxSize',
      /never reach/,
    ],
    [
      'a deployment minimum above its active replicas',
      (d) => (d.applications[0].workloads['eu-west-1'].deployments[0].minReadyReplicas = 7),
      'applications[0].workloads.eu-west-1.deployments[0].minReadyReplicas',
      /never be met/,
    ],
    [
      'a deployment listed twice',
      (d) =>
        d.applications[0].workloads['eu-west-1'].deployments.push({
          ...d.applications[0].workloads['eu-west-1'].deployments[0],
        }),
      'applications[0].workloads.eu-west-1.deployments',
      /listed twice/,
    ],
    [
      'no deployments',
      (d) => (d.applications[0].workloads['us-east-1'].deployments = []),
      'applications[0].workloads.us-east-1.deployments',
      /at least one deployment/,
    ],
    [
      'a bad Kubernetes namespace',
      (d) => (d.applications[0].workloads['us-east-1'].deployments[0].namespace = 'AI_Gateway'),
      'applications[0].workloads.us-east-1.deployments[0].namespace',
      /Kubernetes name/,
    ],
    [
      'fractional replicas',
      (d) => (d.applications[0].workloads['us-east-1'].deployments[0].activeReplicas = 2.5),
      'applications[0].workloads.us-east-1.deployments[0].activeReplicas',
      /expected int/,
    ],
    [
      'a string where a number belongs',
      (d) => (d.applications[0].targets.rpoSeconds = '60'),
      'applications[0].targets.rpoSeconds',
      /expected number, received string/,
    ],
    [
      'a detection quorum no outage can reach',
      (d) => (d.applications[1].detection = { quorum: 3 }),
      'applications[1].detection.quorum',
      /more than the 2 signals/,
    ],
    [
      'an automatic lag budget past the RPO',
      (d) => (d.applications[0].automation.maxReplicaLagSeconds = 120),
      'applications[0].automation.maxReplicaLagSeconds',
      /RPO budget/,
    ],
    [
      'backups copied into the primary region',
      (d) => (d.applications[0].backup.copyToRegion = 'us-east-1'),
      'applications[0].backup.copyToRegion',
      /another region/,
    ],
    [
      'a bad backup schedule',
      (d) => (d.applications[0].backup.schedule = 'every hour'),
      'applications[0].backup.schedule',
      /schedule expression/,
    ],
    [
      'a plural rate of one',
      (d) => (d.applications[0].backup.schedule = 'rate(1 hours)'),
      'applications[0].backup.schedule',
      /schedule expression/,
    ],
    [
      'a copy key of another region',
      (d) =>
        (d.applications[0].backup.copyKmsKeyId =
          'arn:aws:kms:eu-west-1:123456789012:key/0123abcd-0123-4567-89ab-0123456789ab'),
      'applications[0].backup.copyKmsKeyId',
      /the key is in eu-west-1, but the copies are made in us-west-2/,
    ],
    [
      'a copy key that is not a key',
      (d) => (d.applications[0].backup.copyKmsKeyId = 'my-key'),
      'applications[0].backup.copyKmsKeyId',
      /KMS key ARN, a key id or "alias\/<name>"/,
    ],
    [
      'backups copied to a region with no control plane',
      (d) => {
        d.controlPlaneRegions = ['us-east-1', 'us-west-2'];
        d.applications[0].regions = ['us-east-1', 'us-west-2'];
        for (const key of ['records', 'healthChecks', 'workloads'] as const) {
          const holder = key === 'records' ? d.applications[0].dns.records : d.applications[0][key];
          delete holder['eu-west-1'];
        }
        delete d.applications[0].database.instances['eu-west-1'];
        d.applications[0].backup.copyToRegion = 'eu-west-1';
        d.applications[0].backup.copyKmsKeyId = 'alias/backups';
      },
      'applications[0].backup.copyToRegion',
      /eu-west-1 has no control plane/,
    ],
    [
      'a restore test in the default subnet group',
      (d) => (d.applications[0].backup.restoreTest.subnetGroupName = 'default'),
      'applications[0].backup.restoreTest.subnetGroupName',
      /not "default"/,
    ],
    [
      'a restore test with an instance class that is not one',
      (d) => (d.applications[0].backup.restoreTest.instanceClass = 't4g.micro'),
      'applications[0].backup.restoreTest.instanceClass',
      /DB instance class/,
    ],
    [
      'backups of an application whose name cannot start a snapshot identifier',
      (d) => {
        d.applications[1].name = 'ai-gateway--drill';
        d.applications[0].drills.gameDayApplication = 'ai-gateway--drill';
      },
      'applications[1].name',
      /no "--"/,
    ],
    [
      'backup retention past 35 days',
      (d) => (d.applications[0].backup.retentionDays = 90),
      'applications[0].backup.retentionDays',
      /<=35/,
    ],
    [
      'a game day on the application itself',
      (d) => (d.applications[0].drills.gameDayApplication = 'ai-gateway'),
      'applications[0].drills.gameDayApplication',
      /drill copy/,
    ],
    [
      'a game day on an unknown application',
      (d) => (d.applications[0].drills.gameDayApplication = 'nope'),
      'applications[0].drills.gameDayApplication',
      /not an application/,
    ],
    [
      'a workload kind that is not built in, without its apiVersion',
      (d) => (d.applications[0].workloads['us-east-1'].deployments[0].kind = 'Rollout'),
      'applications[0].workloads.us-east-1.deployments[0].apiVersion',
      /Rollout is not a built-in kind \(Deployment, StatefulSet\): give its apiVersion, such as argoproj.io\/v1alpha1/,
    ],
    [
      "a built-in kind's resource given wrong",
      (d) => (d.applications[0].workloads['us-east-1'].deployments[2].resource = 'deployments'),
      'applications[0].workloads.us-east-1.deployments[2].resource',
      /a StatefulSet's resource is statefulsets, not deployments; leave it out/,
    ],
    [
      'an HPA-owned workload with no standby replica',
      (d) => (d.applications[0].workloads['us-west-2'].deployments[1].standbyReplicas = 0),
      'applications[0].workloads.us-west-2.deployments[1].standbyReplicas',
      /minReplicas is at least 1 .*HPAScaleToZero.*set standbyReplicas to 1, or let a KEDA ScaledObject/,
    ],
    [
      'an autoscaler of an unknown kind',
      (d) =>
        (d.applications[0].workloads['eu-west-1'].deployments[1].autoscaler.kind = 'VerticalPodAutoscaler'),
      'applications[0].workloads.eu-west-1.deployments[1].autoscaler.kind',
      /expected kind "HorizontalPodAutoscaler" or "ScaledObject"/,
    ],
    [
      'one autoscaler named for two workloads',
      (d) =>
        (d.applications[0].workloads['eu-west-1'].deployments[0].autoscaler = {
          kind: 'HorizontalPodAutoscaler',
          name: 'agentgateway',
        }),
      'applications[0].workloads.eu-west-1.deployments',
      /HorizontalPodAutoscaler ai-gateway\/agentgateway is named as the autoscaler of two workloads/,
    ],
    [
      'a custom step after traffic moved that would stop the run',
      (d) => (d.applications[0].customSteps[0].onFailure = 'stop'),
      'applications[0].customSteps[0].onFailure',
      /a step after traffic moved cannot stop the run: .*use "continue"/,
    ],
    [
      'a custom step at a point there is not',
      (d) => (d.applications[0].customSteps[0].at = 'failover.after-dns'),
      'applications[0].customSteps[0].at',
      /expected one of failover.after-preflight, failover.before-traffic, failover.after-traffic/,
    ],
    [
      'two custom steps of one name',
      (d) => d.applications[0].customSteps.push({ ...d.applications[0].customSteps[0] }),
      'applications[0].customSteps[1].name',
      /"smoke-test" names another custom step of ai-gateway/,
    ],
    [
      'a custom function per region that misses one',
      (d) =>
        d.applications[0].customSteps.push({
          name: 'warm-cache',
          at: 'failover.before-traffic',
          kind: 'lambda',
          functionArn: { 'us-west-2': 'arn:aws:lambda:us-west-2:123456789012:function:warm-cache' },
          onFailure: 'stop',
        }),
      'applications[0].customSteps[1].functionArn',
      /no function for us-east-1, eu-west-1: a run may target any region of the application/,
    ],
    [
      'a custom function that is not a Lambda ARN',
      (d) =>
        d.applications[0].customSteps.push({
          name: 'x',
          at: 'failover.after-traffic',
          kind: 'lambda',
          functionArn: 'warm-cache',
          onFailure: 'stop',
        }),
      'applications[0].customSteps[1].functionArn',
      /expected a Lambda function ARN/,
    ],
    [
      'a custom step Job that is not a Job',
      (d) => (d.applications[0].customSteps[0].job = { apiVersion: 'apps/v1', kind: 'Deployment', spec: {} }),
      'applications[0].customSteps[0].job',
      /the Job is apps\/v1 Deployment, not a batch\/v1 Job/,
    ],
    [
      'a custom step Job in a region the application does not have',
      (d) => (d.applications[0].customSteps[0].region = 'ap-south-1'),
      'applications[0].customSteps[0].region',
      /ap-south-1 is not one of the application's regions/,
    ],
    [
      'a CloudNativePG topology without a Cluster in one region',
      (d) =>
        (d.applications[1].database = {
          engine: 'cloudnativepg',
          clusters: { 'us-east-1': { namespace: 'db', name: 'pg-use1' } },
        }),
      'applications[1].database.clusters.us-west-2',
      /every region of the application needs a CloudNativePG Cluster/,
    ],
    [
      'two CloudNativePG Clusters under one name',
      (d) => {
        d.applications[1].database = {
          engine: 'cloudnativepg',
          clusters: {
            'us-east-1': { namespace: 'db', name: 'pg' },
            'us-west-2': { namespace: 'db', name: 'pg' },
          },
        };
        delete d.applications[1].backup;
      },
      'applications[1].database.clusters',
      /"pg" is used in more than one region/,
    ],
    [
      "Lifeboat's RDS backups for a CloudNativePG database",
      (d) =>
        (d.applications[1].database = {
          engine: 'cloudnativepg',
          clusters: {
            'us-east-1': { namespace: 'db', name: 'pg-use1' },
            'us-west-2': { namespace: 'db', name: 'pg-usw2' },
          },
        }),
      'applications[1].backup',
      /CloudNativePG backs its clusters up itself .*remove backup/,
    ],
    [
      'a CloudNativePG Cluster name Kubernetes refuses',
      (d) =>
        (d.applications[1].database = {
          engine: 'cloudnativepg',
          clusters: {
            'us-east-1': { namespace: 'db', name: 'PG_Use1' },
            'us-west-2': { namespace: 'db', name: 'pg-usw2' },
          },
        }),
      'applications[1].database.clusters.us-east-1.name',
      /Kubernetes name/,
    ],
    [
      'a paging hook on a bus name EventBridge cannot have',
      (d) => ((d as Record<string, unknown>).paging = { eventBusName: 'on call!' }),
      'paging.eventBusName',
      /expected an EventBridge event bus name such as "default"/,
    ],
  ];

  it.each(cases)('rejects %s, naming the path', (_name, mutate, path, message) => {
    const problems = problemsOf(mutate);
    const match = problems.find((p) => p.startsWith(`${path}: `));
    expect({ problems, found: match !== undefined }).toMatchObject({ found: true });
    expect(match).toMatch(message);
  });

  it('covers at least 25 distinct bad configs', () => {
    expect(new Set(cases.map(([, , path]) => path)).size).toBeGreaterThanOrEqual(25);
  });
});

describe('custom step manifests', () => {
  it('reads a Job manifest relative to the config file, and names a missing one with the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-manifest-'));
    const doc = exampleConfigDocument();
    const step = (doc.applications[0] as { customSteps: Record<string, unknown>[] }).customSteps[0]!;
    const job = step.job;
    delete step.job;
    step.manifest = 'jobs/smoke.json';
    const file = join(dir, 'lifeboat.config.json');
    writeFileSync(file, JSON.stringify(doc));
    expect(() => loadConfig(file)).toThrow(
      `applications[0].customSteps[0].manifest: cannot read ${join(dir, 'jobs/smoke.json')}: no such file (the path is relative to the config file)`,
    );
    mkdirSync(join(dir, 'jobs'));
    writeFileSync(join(dir, 'jobs/smoke.json'), JSON.stringify(job));
    const loaded = loadConfig(file).applications[0]!.customSteps[0]!;
    expect(loaded).toMatchObject({ manifest: 'jobs/smoke.json', job });
  });
});

describe('formatPath', () => {
  it('writes array indexes in brackets and keys with dots', () => {
    expect(formatPath(['applications', 0, 'dns', 'records', 'us-east-1'])).toBe(
      'applications[0].dns.records.us-east-1',
    );
  });

  it('names the top level when the path is empty', () => {
    expect(formatPath([])).toBe('(top level)');
  });
});
