import { DEFAULT_LATENCY, LATENCY_KEYS, latencyModel } from '../../local/world/LatencyModel.ts';
import { worldEstate } from '../../local/world/WorldEstate.ts';
import { testWorld } from '../support/world.ts';

describe('worldEstate', () => {
  it('takes one API call of virtual time per call and answers from the world', async () => {
    const { world, clock } = testWorld();
    const estate = worldEstate(world, { channel: 'C0LIFEBOAT1' });
    const app = world.application('ai-gateway');
    let weights: Record<string, number> | undefined;
    void estate.dns.getWeights(app).then((w) => (weights = w));
    await clock.runUntil(0.1);
    expect(weights).toBeUndefined();
    await clock.runUntil(0.2);
    expect(weights).toEqual({ 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 });
  });

  it('fails a call the way the world fails it, with the SDK error name', async () => {
    const { world, clock } = testWorld();
    const estate = worldEstate(world, { channel: 'C0LIFEBOAT1' });
    world.faults.addApiFault({
      service: 'rds',
      operation: 'PromoteReadReplica',
      error: 'InvalidDBInstanceStateFault',
      count: 1,
    });
    const attempt = estate.database.promote(world.application('ai-gateway'), 'us-west-2', {
      planned: false,
      by: 'automatic',
    });
    const outcome = attempt.then(
      () => 'ok',
      (e: unknown) => (e as Error).name,
    );
    await clock.runUntil(1);
    await expect(outcome).resolves.toBe('InvalidDBInstanceStateFault');
  });

  it('describes databases, workloads, lag and Slack through the ports', async () => {
    const { world, clock } = testWorld();
    const estate = worldEstate(world, { channel: 'C0LIFEBOAT1' });
    const app = world.application('ai-gateway');
    world.setReplicaLag('us-west-2', 4);
    const results = Promise.all([
      estate.database.describe(app, 'us-west-2'),
      estate.metrics.replicaLagSeconds(app, 'us-west-2'),
      estate.metrics.replicaLagSeconds(app, 'us-east-1'),
      estate.workloads.describeWorkload(app, 'us-west-2', app.workloads['us-west-2']!.deployments[0]!),
      estate.workloads.clusterReachable(app, 'us-west-2'),
      estate.notifier.post('hello'),
    ]);
    await clock.runUntil(1);
    expect(await results).toEqual([
      { role: 'replica', available: true, sourceRegion: 'us-east-1' },
      4,
      undefined,
      { replicas: 2, readyReplicas: 2 },
      true,
      expect.stringMatching(/^0\.\d{6}$/),
    ]);
    expect(world.slack[0]).toMatchObject({ channel: 'C0LIFEBOAT1', text: 'hello' });
  });
});

describe('latencyModel', () => {
  it('applies overrides by name and keeps every other default', () => {
    const model = latencyModel({ rdsPromoteSeconds: 120 });
    expect(model.rdsPromoteSeconds).toBe(120);
    expect(model.route53InsyncSeconds).toBe(DEFAULT_LATENCY.route53InsyncSeconds);
  });

  it('has the defaults the design documents', () => {
    expect(DEFAULT_LATENCY).toMatchObject({
      alarmPeriodSeconds: 60,
      probeIntervalSeconds: 10,
      eventBridgeDeliverySeconds: 1,
      route53InsyncSeconds: 60,
      rdsPromoteSeconds: 300,
      auroraFailoverSeconds: 60,
      podStartSeconds: 30,
      nodeGroupScaleUpSeconds: 90,
      lambdaColdStartSeconds: 0.4,
      lambdaWarmStartSeconds: 0.05,
      stepFunctionsTransitionSeconds: 0.05,
    });
    expect(LATENCY_KEYS).toHaveLength(Object.keys(DEFAULT_LATENCY).length);
  });
});
