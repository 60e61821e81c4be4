import { fileURLToPath } from 'node:url';
import { testWorld } from '../support/world.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';

const APP = 'ai-gateway';

describe('World detection', () => {
  it('turns the health check unhealthy after interval × threshold and alarms within one alarm period after that', async () => {
    const { world, clock } = testWorld();
    await clock.runUntil(300);
    const onset = clock.seconds;
    world.setRegionOutage('us-west-2', true);
    await clock.runUntil(onset + 300);
    const unhealthy = world.timeline.find(
      (e) => e.kind === 'health-check' && e.region === 'us-west-2' && e.application === APP,
    );
    const alarm = world.timeline.find(
      (e) =>
        e.kind === 'alarm' &&
        e.region === 'us-west-2' &&
        e.application === APP &&
        e.text.includes('route53-health') &&
        e.text.endsWith('ALARM'),
    );
    // The example's checks: every 30 s, 3 failures.
    expect(unhealthy!.at - onset).toBe(30 * 3);
    expect(alarm!.at - onset).toBeGreaterThanOrEqual(90);
    expect(alarm!.at - onset).toBeLessThanOrEqual(90 + 60);
  });

  it('retries a delivery to a bus whose region is down, delivering it late once back, and drops it after 24 hours', async () => {
    const late = testWorld();
    late.world.setRegionOutage('eu-west-1', true);
    late.world.setRegionOutage('us-west-2', true);
    await late.clock.runUntil(3600);
    late.world.setRegionOutage('eu-west-1', false);
    await late.clock.runUntil(3600 + 600);
    const delivered = late.world.delivered.filter(
      (d) => d.busRegion === 'eu-west-1' && d.event.detail.alarmName.includes('-us-west-2-route53-health'),
    );
    expect(delivered.length).toBeGreaterThan(0);
    // Sent at about 90 s, received once eu-west-1 is back, at most one retry interval (8 min) later.
    expect(delivered[0]!.at).toBeGreaterThanOrEqual(3600);
    expect(delivered[0]!.at).toBeLessThanOrEqual(3600 + 480);

    const lost = testWorld();
    lost.world.setRegionOutage('eu-west-1', true);
    lost.world.setRegionOutage('us-west-2', true);
    await lost.clock.runUntil(25 * 3600);
    expect(lost.world.delivered.filter((d) => d.busRegion === 'eu-west-1')).toEqual([]);
    const dropped = lost.world.timeline.filter((e) => e.kind === 'event-dropped' && e.region === 'eu-west-1');
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped[0]!.at).toBeLessThanOrEqual(24 * 3600 + 120);
    expect(dropped[0]!.text).toMatch(
      /never received lifeboat-.*-us-west-2-route53-health ALARM: EventBridge gave up after \d+ retries$/,
    );
  });

  it('changes a HealthCheckStatus alarm route53AlarmDelaySeconds after its period, when a scenario sets it', async () => {
    const { world, clock } = testWorld({ latency: { route53AlarmDelaySeconds: 120 } });
    await clock.runUntil(300);
    const onset = clock.seconds;
    world.setRegionOutage('us-west-2', true);
    await clock.runUntil(onset + 600);
    const alarm = world.timeline.find(
      (e) =>
        e.kind === 'alarm' &&
        e.region === 'us-west-2' &&
        e.application === APP &&
        e.text.includes('route53-health') &&
        e.text.endsWith('ALARM'),
    );
    // Unhealthy 90 s after the onset; the period holding it ends at most 60 s later; then the delay.
    expect(alarm!.at - onset).toBeGreaterThanOrEqual(90 + 120);
    expect(alarm!.at - onset).toBeLessThanOrEqual(90 + 60 + 120);
  });

  it('delivers the alarm state change to every control-plane bus after the delivery latency', async () => {
    const { world, clock } = testWorld();
    world.setRegionOutage('eu-west-1', true);
    await clock.runUntil(200);
    const alarmAt = world.timeline.find(
      (e) =>
        e.kind === 'alarm' &&
        e.text.includes('ai-gateway-eu-west-1-route53-health') &&
        e.text.endsWith('ALARM'),
    )!.at;
    const deliveries = world.delivered.filter(
      (d) =>
        d.event.detail.alarmName === 'lifeboat-ai-gateway-eu-west-1-route53-health' &&
        d.event.detail.state.value === 'ALARM',
    );
    // The bus in eu-west-1 is down with its region, so only the other two receive it.
    expect(deliveries.map((d) => d.busRegion).sort()).toEqual(['us-east-1', 'us-west-2']);
    for (const d of deliveries) expect(d.at).toBe(alarmAt + 1);
    expect(deliveries[0]!.event.detail.previousState.value).toBe('OK');
  });

  it('raises no alarm for a flap shorter than the failure threshold', async () => {
    const { world, clock } = testWorld();
    world.setFlap('us-east-1', 20);
    await clock.runUntil(900);
    expect(world.timeline.filter((e) => e.kind === 'health-check' && e.region === 'us-east-1')).toEqual([]);
    expect(world.alarmState(APP, 'us-east-1')).toBe('OK');
  });

  it('freezes the alarms when us-east-1 is down, while Route 53 still answers by health', async () => {
    const { world, clock } = testWorld();
    await clock.runUntil(120);
    world.setRegionOutage('us-east-1', true);
    await clock.runUntil(600);
    expect(world.alarmState(APP, 'us-east-1')).toBe('OK');
    expect(world.healthStatus(APP, 'us-east-1')).toBe('unhealthy');
    // Weights still say us-east-1=100, but the data plane skips the unhealthy record.
    expect(world.weights(APP)['us-east-1']).toBe(100);
    expect(world.answers(APP)).toEqual(['us-west-2', 'eu-west-1']);
    expect(() => world.changeWeights(APP, { 'us-west-2': 100 })).toThrow(
      expect.objectContaining({ name: 'ServiceUnavailableException' }),
    );
    expect(() => world.getHealthCheckStatus(APP, 'us-west-2')).toThrow(
      /route53 GetHealthCheckStatus in us-east-1/,
    );
  });
});

describe('World DNS', () => {
  it('applies a weight change when it reaches INSYNC and logs the answers', async () => {
    const { world, clock } = testWorld();
    await clock.runUntil(10);
    const id = world.changeWeights(APP, { 'us-east-1': 0, 'us-west-2': 100 });
    expect(world.getChange(id)).toBe('PENDING');
    expect(world.answers(APP)).toEqual(['us-east-1']);
    await clock.runUntil(69);
    expect(world.getChange(id)).toBe('PENDING');
    await clock.runUntil(70);
    expect(world.getChange(id)).toBe('INSYNC');
    expect(world.answers(APP)).toEqual(['us-west-2']);
    expect(world.dnsLog.filter((d) => d.application === APP)).toEqual([
      { at: 0, application: APP, answers: ['us-east-1'] },
      { at: 70, application: APP, answers: ['us-west-2'] },
    ]);
  });

  it('answers with every record when all weights are zero', async () => {
    const { world, clock } = testWorld();
    world.changeWeights(APP, { 'us-east-1': 0 });
    await clock.runUntil(100);
    expect(world.answers(APP)).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
  });

  it('rejects weights Route 53 would reject, naming the record', () => {
    const { world } = testWorld();
    expect(() => world.changeWeights(APP, { 'us-west-2': 256 })).toThrow(
      'weight 256 for us-west-2 is not an integer from 0 to 255',
    );
    expect(() => world.changeWeights(APP, { 'ap-south-1': 1 })).toThrow(
      'ai-gateway has no record for ap-south-1',
    );
    expect(() => world.getChange('C-NOPE')).toThrow(expect.objectContaining({ name: 'NoSuchChange' }));
  });
});

describe('World databases', () => {
  it('promotes a read replica after the promotion time, keeping the lag it started with as RPO evidence', async () => {
    const { world, clock } = testWorld({ latency: { rdsPromoteSeconds: 120 } });
    world.setReplicaLag('us-west-2', 4);
    world.setRegionOutage('us-east-1', true);
    expect(world.promoteDatabase(APP, 'us-west-2')).toBe('started');
    expect(world.describeDatabase(APP, 'us-west-2').status).toBe('modifying');
    expect(world.promoteDatabase(APP, 'us-west-2')).toBe('already-promoted');
    await clock.runUntil(119);
    expect(world.writers(APP)).toEqual([]);
    await clock.runUntil(120);
    expect(world.writers(APP)).toEqual(['us-west-2']);
    expect(world.databaseRole(APP, 'us-west-2')).toBe('standalone');
    expect(world.promotionLag(APP, 'us-west-2')).toBe(4);
    // The old RDS primary comes back still a writer: the split brain that fencing must prevent.
    world.setRegionOutage('us-east-1', false);
    expect(world.writers(APP)).toEqual(['us-east-1', 'us-west-2']);
  });

  it('fails an Aurora global cluster over in about a minute and rejoins the old primary as a secondary', async () => {
    const { world, clock } = testWorld();
    const drill = 'ai-gateway-drill';
    world.setRegionOutage('us-east-1', true);
    world.promoteDatabase(drill, 'us-west-2');
    await clock.runUntil(60);
    expect(world.writers(drill)).toEqual(['us-west-2']);
    world.setRegionOutage('us-east-1', false);
    expect(world.databaseRole(drill, 'us-east-1')).toBe('replica');
    expect(world.writers(drill)).toEqual(['us-west-2']);
  });
});

describe('World workloads', () => {
  it('scales a standby up: nodes after the node scale-up time, pods ready after pod start on them', async () => {
    const { world, clock } = testWorld();
    expect(world.readyReplicas(APP, 'us-west-2')).toEqual({
      'ai-gateway/litellm': 2,
      'ai-gateway/agentgateway': 1,
      'ai-gateway/vllm': 1,
    });
    world.updateNodegroupConfig(APP, 'us-west-2', 'general', { desired: 6 });
    world.scaleWorkload(APP, 'us-west-2', 'ai-gateway', 'litellm', 6);
    world.patchAutoscaler(APP, 'us-west-2', 'ai-gateway', 'HorizontalPodAutoscaler', 'agentgateway', {
      min: 3,
    });
    world.patchAutoscaler(APP, 'us-west-2', 'ai-gateway', 'ScaledObject', 'vllm', { min: 2 });
    await clock.runUntil(30);
    // Two standby nodes hold ceil(11 / 6) = 2 pods each: 4 slots, all taken by running pods, which
    // are never evicted to make room; the new pods wait for the new nodes.
    expect(world.readyReplicas(APP, 'us-west-2')).toEqual({
      'ai-gateway/litellm': 2,
      'ai-gateway/agentgateway': 1,
      'ai-gateway/vllm': 1,
    });
    await clock.runUntil(90 + 30);
    // The autoscalers scaled agentgateway and vllm to their new minimums at their first sync (15 s).
    expect(world.readyReplicas(APP, 'us-west-2')).toEqual({
      'ai-gateway/litellm': 6,
      'ai-gateway/agentgateway': 3,
      'ai-gateway/vllm': 2,
    });
    expect(world.workloadsReady(APP, 'us-west-2')).toBe(true);
  });

  it('caps ready replicas during a capacity shortfall', async () => {
    const { world, clock } = testWorld();
    world.setCapacityShortfall('us-west-2', 3);
    world.updateNodegroupConfig(APP, 'us-west-2', 'general', { desired: 6 });
    world.scaleWorkload(APP, 'us-west-2', 'ai-gateway', 'litellm', 6);
    await clock.runUntil(200);
    expect(world.readyReplicas(APP, 'us-west-2')['ai-gateway/litellm']).toBe(3);
    expect(world.workloadsReady(APP, 'us-west-2')).toBe(false);
  });

  it('refuses a desired size outside the node group bounds', () => {
    const { world } = testWorld();
    expect(() => {
      world.updateNodegroupConfig(APP, 'us-west-2', 'general', { desired: 12, max: 10 });
    }).toThrow('desired 12 is outside min 2 and max 10');
  });
});

describe('World autoscalers', () => {
  const replicas = (world: ReturnType<typeof testWorld>['world'], name: string) =>
    world.workloadReplicas(APP, 'us-west-2', 'ai-gateway', name);

  it("undoes a direct scale of an HPA's workload at its next sync: the standby has no load to keep it", async () => {
    const { world, clock } = testWorld();
    await clock.runUntil(1);
    world.scaleWorkload(APP, 'us-west-2', 'ai-gateway', 'agentgateway', 3);
    expect(replicas(world, 'agentgateway')).toBe(3);
    await clock.runUntil(15);
    expect(replicas(world, 'agentgateway')).toBe(1);
  });

  it('keeps a raised minimum, and the workload scaled to it, through every sync', async () => {
    const { world, clock } = testWorld();
    world.patchAutoscaler(APP, 'us-west-2', 'ai-gateway', 'HorizontalPodAutoscaler', 'agentgateway', {
      min: 3,
    });
    world.patchAutoscaler(APP, 'us-west-2', 'ai-gateway', 'ScaledObject', 'vllm', { min: 2 });
    await clock.runUntil(15);
    expect([replicas(world, 'agentgateway'), replicas(world, 'vllm')]).toEqual([3, 2]);
    await clock.runUntil(600);
    expect([replicas(world, 'agentgateway'), replicas(world, 'vllm')]).toEqual([3, 2]);
  });

  it('refuses bounds the API server refuses', () => {
    const { world } = testWorld();
    expect(() => {
      world.patchAutoscaler(APP, 'us-west-2', 'ai-gateway', 'HorizontalPodAutoscaler', 'agentgateway', {
        min: 0,
      });
    }).toThrow('the minimum (0) must be at least 1');
    expect(() => {
      world.patchAutoscaler(APP, 'us-west-2', 'ai-gateway', 'ScaledObject', 'vllm', { min: 3, max: 2 });
    }).toThrow('the maximum (2) at least the minimum');
    expect(() => world.readAutoscaler(APP, 'us-west-2', 'ai-gateway', 'ScaledObject', 'litellm')).toThrow(
      'scaledobjects.keda.sh "litellm" not found',
    );
  });

  it('scales nothing while paused, for an HPA whose target is at 0, or in a region that is down', async () => {
    const { world, clock } = testWorld();
    world.setAutoscaler(APP, 'us-west-2', 'ai-gateway', 'vllm', { paused: true });
    world.scaleWorkload(APP, 'us-west-2', 'ai-gateway', 'vllm', 2);
    world.scaleWorkload(APP, 'us-west-2', 'ai-gateway', 'agentgateway', 0);
    await clock.runUntil(60);
    expect([replicas(world, 'vllm'), replicas(world, 'agentgateway')]).toEqual([2, 0]);
    world.setAutoscaler(APP, 'us-west-2', 'ai-gateway', 'vllm', { paused: false });
    world.setRegionOutage('us-west-2', true);
    await clock.runUntil(120);
    expect(replicas(world, 'vllm')).toBe(2);
    world.setRegionOutage('us-west-2', false);
    await clock.runUntil(135);
    expect(replicas(world, 'vllm')).toBe(1);
  });
});

describe('World faults', () => {
  it('fails the named operation the given number of times with the SDK error name, then lets it through', () => {
    const { world } = testWorld();
    world.faults.addApiFault({
      service: 'rds',
      operation: 'DescribeDBInstances',
      error: 'InternalFailure',
      count: 2,
    });
    for (let i = 0; i < 2; i++) {
      expect(() => world.describeDatabase(APP, 'us-west-2')).toThrow(
        expect.objectContaining({ name: 'InternalFailure', $fault: 'server' }),
      );
    }
    expect(world.describeDatabase(APP, 'us-west-2').role).toBe('replica');
  });

  it("throttles with the service's throttling error and status 429", () => {
    const { world } = testWorld();
    world.faults.throttle('route53', 1);
    expect(() => world.changeWeights(APP, { 'us-west-2': 1 })).toThrow(
      expect.objectContaining({
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 429, attempts: 1 },
      }),
    );
  });

  it('keeps Slack messages and fails posting while Slack is down', () => {
    const { world } = testWorld();
    const ts = world.postSlackMessage('C0LIFEBOAT1', 'Failover of ai-gateway started');
    world.updateSlackMessage(ts, 'Failover of ai-gateway succeeded');
    expect(world.slack).toMatchObject([
      { ts, text: 'Failover of ai-gateway succeeded', postedAt: 0, updatedAt: 0 },
    ]);
    world.faults.setSlackDown(true);
    expect(() => world.postSlackMessage('C0LIFEBOAT1', 'x')).toThrow(/service_unavailable/);
  });
});

describe('World metrics', () => {
  it('reports full errors for traffic sent to a region that is down, and none once DNS skips it', async () => {
    const { world, clock } = testWorld();
    expect(world.errorRatePercent(APP)).toBeCloseTo(0.1);
    world.setRegionOutage('us-east-1', true);
    expect(world.errorRatePercent(APP)).toBe(100);
    // Route 53's check (every 30 s, 3 failures) drops it at 90 s.
    await clock.runUntil(89);
    expect(world.answers(APP)).toEqual(['us-east-1']);
    await clock.runUntil(90);
    expect(world.answers(APP)).toEqual(['us-west-2', 'eu-west-1']);
    expect(world.errorRatePercent(APP)).toBeGreaterThan(0);
  });
});

describe('World: an active-active application', () => {
  const config = loadConfig(
    fileURLToPath(new URL('../../examples/active-active.config.json', import.meta.url)),
  );
  const AA = 'inference-api';

  it('starts with every region at its serving weight and its active sizes, each within bounds at its share', () => {
    const { world } = testWorld({ config });
    expect(world.weights(AA)).toEqual({ 'us-east-1': 40, 'us-west-2': 40, 'eu-west-1': 20 });
    expect(world.answers(AA)).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
    expect(world.readyReplicas(AA, 'eu-west-1')).toEqual({ 'inference/router': 2, 'inference/api': 3 });
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1']) {
      expect(world.errorRatePercent(AA, region)).toBeCloseTo(0.1);
      expect(world.latencyMs(AA, region)).toBeLessThan(400);
    }
  });

  it("overloads the regions that take a drained region's share until they are scaled for it", async () => {
    const { world, clock } = testWorld({ config });
    world.changeWeights(AA, { 'us-east-1': 0 });
    await clock.runUntil(61);
    expect(world.answers(AA)).toEqual(['us-west-2', 'eu-west-1']);
    // us-west-2 carries 2/3 of the traffic with the replicas for 2/5 of it: it sheds the excess.
    expect(world.errorRatePercent(AA, 'us-west-2')).toBeGreaterThan(20);
    expect(world.latencyMs(AA, 'us-west-2')).toBeGreaterThan(700);
  });
});

const MAJORITY_CONFIG: LifeboatConfig = { ...loadConfig(EXAMPLE_CONFIG_PATH), fenceVotes: 'majority' };

describe('World probes and fences', () => {
  it("raises each region's probe alarm on its own bus after the failure threshold, even with us-east-1 down", async () => {
    const { world, clock } = testWorld();
    world.setRegionOutage('us-east-1', true);
    await clock.runUntil(60);
    // In ALARM since the third failed probe (sent at 30 s, failed at its 6 s timeout); its earliest
    // breaching datapoint is the first probe's, sent at 10 s.
    expect(world.describeAlarm('lifeboat-ai-gateway-us-east-1-probe-from-us-west-2', 'us-west-2')).toEqual({
      state: 'ALARM',
      updatedAt: 36,
      breachingSince: 10,
    });
    expect(() => world.describeAlarm('lifeboat-ai-gateway-us-east-1-route53-health', 'us-east-1')).toThrow(
      /unavailable/,
    );
    const delivered = world.delivered.filter(
      (d) => d.event.detail.alarmName === 'lifeboat-ai-gateway-us-east-1-probe-from-us-west-2',
    );
    expect(delivered.map((d) => [d.at, d.busRegion])).toEqual([[37, 'us-west-2']]);
  });

  it('keeps a fenced region out of DNS answers one metric period after its one vote says fenced, whatever its weight', async () => {
    const { world, clock } = testWorld();
    // The default: us-east-1's record has one vote, in us-west-2 (fenceRegion).
    expect(() => {
      world.publishFenceVote('ai-gateway', 'us-east-1', true, 'eu-west-1');
    }).toThrow(/that record's fence votes live in us-west-2/);
    world.publishFenceVote('ai-gateway', 'us-east-1', true, 'us-west-2');
    await clock.runUntil(59);
    expect(world.answers('ai-gateway')).toEqual(['us-east-1']);
    await clock.runUntil(60);
    expect(world.isFenced('ai-gateway', 'us-east-1')).toBe(true);
    expect(world.answers('ai-gateway')).toEqual(['us-west-2', 'eu-west-1']);
    expect(world.fenceVotes('ai-gateway', 'us-east-1')).toEqual({ 'us-west-2': true });
    world.publishFenceVote('ai-gateway', 'us-east-1', false, 'us-west-2');
    await clock.runUntil(120);
    expect(world.answers('ai-gateway')).toEqual(['us-east-1']);
  });

  it('with fenceVotes "majority", keeps a fenced region out of DNS answers one metric period after a majority votes the fence, whatever its weight', async () => {
    const { world, clock } = testWorld({ config: MAJORITY_CONFIG });
    world.publishFenceVote('ai-gateway', 'us-east-1', true, 'us-west-2');
    await clock.runUntil(60);
    // One vote of three: the record still answers.
    expect(world.isFenced('ai-gateway', 'us-east-1')).toBe(false);
    world.publishFenceVote('ai-gateway', 'us-east-1', true, 'eu-west-1');
    await clock.runUntil(119);
    expect(world.answers('ai-gateway')).toEqual(['us-east-1']);
    await clock.runUntil(120);
    expect(world.isFenced('ai-gateway', 'us-east-1')).toBe(true);
    expect(world.answers('ai-gateway')).toEqual(['us-west-2', 'eu-west-1']);
    expect(world.fenceVotes('ai-gateway', 'us-east-1')).toEqual({
      'us-east-1': false,
      'us-west-2': true,
      'eu-west-1': true,
    });
  });

  it('with fenceVotes "majority", keeps the votes per region: one region cannot lift the fence two others voted', async () => {
    const { world, clock } = testWorld({ config: MAJORITY_CONFIG });
    world.publishFenceVote('ai-gateway', 'us-east-1', true, 'us-west-2');
    world.publishFenceVote('ai-gateway', 'us-east-1', true, 'eu-west-1');
    await clock.runUntil(60);
    expect(world.isFenced('ai-gateway', 'us-east-1')).toBe(true);
    // A failback run in us-east-1 that published only in its own region would leave the fence on.
    world.publishFenceVote('ai-gateway', 'us-east-1', false, 'us-east-1');
    await clock.runUntil(120);
    expect(world.isFenced('ai-gateway', 'us-east-1')).toBe(true);
    world.publishFenceVote('ai-gateway', 'us-east-1', false, 'us-west-2');
    await clock.runUntil(180);
    expect(world.isFenced('ai-gateway', 'us-east-1')).toBe(false);
    expect(world.answers('ai-gateway')).toEqual(['us-east-1']);
  });

  it('refuses a fence vote in a region that holds none', () => {
    const { world } = testWorld();
    expect(() => {
      world.publishFenceVote('ai-gateway', 'us-east-1', true, 'ap-south-1');
    }).toThrow(/that record's fence votes live in us-west-2/);
  });

  it('cannot fence from a region that is down', () => {
    const { world } = testWorld();
    world.setRegionOutage('us-west-2', true);
    expect(() => {
      world.publishFenceVote('ai-gateway', 'us-east-1', true, 'us-west-2');
    }).toThrow(/cloudwatch PutMetricData in us-west-2/);
  });
});
