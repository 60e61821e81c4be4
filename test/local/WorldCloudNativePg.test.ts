import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { testWorld } from '../support/world.ts';

const CONFIG = loadConfig(
  fileURLToPath(new URL('../../examples/cloudnativepg.config.json', import.meta.url)),
);
const APP = 'ai-gateway-pg';

type Cluster = {
  metadata: { annotations?: Record<string, string> };
  spec: { replica: Record<string, unknown> };
  status: { phase: string; timelineID: number; demotionToken?: string; phaseReason?: string };
};

function world() {
  const made = testWorld({ config: CONFIG });
  const cluster = (region: string) => made.world.cnpgCluster(APP, region) as Cluster;
  const patch = (region: string, replica: Record<string, unknown>) => {
    made.world.patchCnpgCluster(APP, region, { spec: { replica } });
  };
  return { ...made, cluster, patch };
}

describe("the world's CloudNativePG topology", () => {
  it('starts with pg-use1 the primary and the others its replica clusters, each listing every member', () => {
    const { world: w, cluster } = world();
    expect(cluster('us-east-1').spec.replica).toEqual({ primary: 'pg-use1', source: 'pg-usw2' });
    expect(cluster('eu-west-1').spec.replica).toEqual({ primary: 'pg-use1', source: 'pg-use1' });
    expect(w.cnpgCluster(APP, 'us-west-2')).toMatchObject({
      spec: { externalClusters: [{ name: 'pg-use1' }, { name: 'pg-usw2' }, { name: 'pg-euw1' }] },
      status: { phase: 'Cluster in healthy state', timelineID: 1 },
    });
    expect(w.writers(APP)).toEqual(['us-east-1']);
  });

  it.each([
    [{ primary: 'pg-nowhere' }, /primary must be one of the externalClusters names/],
    [{ enabled: false }, /replica mode enabled is not compatible with the primary field/],
    [{ promotionToken: 'dG9rZW4=' }, /promotionToken is only allowed for primary clusters/],
    [{ primary: 'pg-usw2', promotionToken: 'not a token' }, /the promotion token cannot be decoded/],
    [{ minApplyDelay: '1h' }, /unknown field/],
  ])('refuses %j as the webhook does (422 Invalid), changing nothing', ({ ...replica }, message) => {
    const { patch, cluster } = world();
    expect(() => {
      patch('us-west-2', replica);
    }).toThrow(message);
    expect(cluster('us-west-2').spec.replica).toEqual({ primary: 'pg-use1', source: 'pg-use1' });
  });

  it('refuses a change of role while a demotion is under way', async () => {
    const { patch, clock } = world();
    patch('us-east-1', { primary: 'pg-usw2', source: 'pg-usw2' });
    await clock.runUntil(10);
    expect(() => {
      patch('us-east-1', { primary: 'pg-use1' });
    }).toThrow(/cannot change the replica role while a replica switch is in progress/);
  });

  it('demotes a primary: no writes at once, its token after the demotion time, then it replicates from its source', async () => {
    const { world: w, patch, cluster, clock } = world();
    patch('us-east-1', { primary: 'pg-usw2', source: 'pg-usw2', promotionToken: null });
    expect(w.writers(APP)).toEqual([]);
    expect(cluster('us-east-1').status.demotionToken).toBeUndefined();
    await clock.runUntil(61);
    const token = cluster('us-east-1').status.demotionToken;
    expect(token).toBeDefined();
    expect(JSON.parse(Buffer.from(token!, 'base64').toString('utf8'))).toMatchObject({
      latestCheckpointTimelineID: '1',
      operatorVersion: expect.any(String) as unknown,
    });
    // The target promoted with that token replays, then writes on a new timeline; nothing is lost.
    patch('us-west-2', { primary: 'pg-usw2', promotionToken: token });
    expect(cluster('us-west-2').status.phase).toBe('Promoting to primary cluster');
    await clock.runUntil(200);
    expect(w.writers(APP)).toEqual(['us-west-2']);
    expect(cluster('us-west-2').status.timelineID).toBe(2);
    expect(w.promotions).toEqual([
      expect.objectContaining({ region: 'us-west-2', planned: true, lagSeconds: 0 }),
    ]);
  });

  it('refuses a token of an older timeline: the cluster is unrecoverable and is not promoted', async () => {
    const { world: w, patch, cluster, clock } = world();
    // pg-use1 is demoted (its token is of timeline 1), then pg-usw2 is promoted without it (timeline
    // 2) and pg-euw1 follows pg-usw2 onto timeline 2: pg-use1's token no longer fits pg-euw1.
    patch('us-east-1', { primary: 'pg-usw2', source: 'pg-usw2' });
    await clock.runUntil(61);
    const stale = cluster('us-east-1').status.demotionToken!;
    patch('us-west-2', { primary: 'pg-usw2' });
    await clock.runUntil(200);
    patch('eu-west-1', { primary: 'pg-usw2', source: 'pg-usw2' });
    expect(cluster('eu-west-1').status.timelineID).toBe(2);
    patch('eu-west-1', { primary: 'pg-euw1', promotionToken: stale });
    await clock.runUntil(400);
    expect(cluster('eu-west-1').status).toMatchObject({
      phase: 'Cluster is unrecoverable and needs manual intervention',
      phaseReason: 'Promotion token content is not correct for current instance',
    });
    expect(w.writers(APP)).toEqual(['us-west-2']);
  });

  it('fails over without a token: the lag is lost, and a replica that replayed past the promotion point cannot follow', async () => {
    const { world: w, patch, cluster, clock } = world();
    w.setReplicaLag('us-west-2', 10);
    w.setReplicaLag('eu-west-1', 2);
    w.setRegionOutage('us-east-1', true);
    patch('us-west-2', { primary: 'pg-usw2', promotionToken: null });
    await clock.runUntil(60);
    expect(w.promotions).toEqual([
      expect.objectContaining({ region: 'us-west-2', planned: false, lagSeconds: 10 }),
    ]);
    // pg-euw1 lacked 2 s of pg-use1's writes, pg-usw2 10 s: pg-euw1 holds 8 s pg-usw2 never had.
    patch('eu-west-1', { primary: 'pg-usw2', source: 'pg-usw2' });
    expect(w.timeline.at(-1)?.text).toBe(
      "CloudNativePG cluster pg-euw1 re-pointed at pg-usw2 but cannot follow it: it replayed past pg-usw2's promotion point and must be re-cloned",
    );
    expect(w.cnpgCluster(APP, 'eu-west-1')).toMatchObject({
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    });
    // A person's re-clone brings it back as a replica cluster of the writer.
    w.recloneCnpgCluster(APP, 'eu-west-1');
    await clock.runUntil(60 + 1200 + 1);
    expect(cluster('eu-west-1').spec.replica).toEqual({ primary: 'pg-usw2', source: 'pg-usw2' });
    expect(w.cnpgCluster(APP, 'eu-west-1')).toMatchObject({
      status: { phase: 'Cluster in healthy state', conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });

  it('fences and unfences by the annotation: a fenced primary takes no writes', () => {
    const { world: w } = world();
    w.patchCnpgCluster(APP, 'us-east-1', {
      metadata: { annotations: { 'cnpg.io/fencedInstances': '["*"]' } },
    });
    expect(w.writers(APP)).toEqual([]);
    w.patchCnpgCluster(APP, 'us-east-1', { metadata: { annotations: { 'cnpg.io/fencedInstances': null } } });
    expect(w.writers(APP)).toEqual(['us-east-1']);
  });
});
