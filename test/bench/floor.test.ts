import { clientRtoSeconds, rtoFloor, workloadReadinessSeconds } from '../../bench/rto/floor.ts';
import { mirrored } from '../../bench/rto/rtoBench.ts';
import { DEFAULT_LATENCY } from '../../local/world/LatencyModel.ts';
import type { ApplicationConfig, WorkloadConfig } from '../../shared/config/LifeboatConfig.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';
import { testConfig } from '../support/synth.ts';

const config = testConfig();
const rds = config.applications[0]!;
const aurora = config.applications[1]!;

describe('workloadReadinessSeconds', () => {
  it('adds a node group scale-up when the standby nodes have no room for the minimum ready pods', () => {
    // ai-gateway: 11 active pods on 6 nodes (2 per node); 2 standby nodes hold 4, the minimum is 8.
    expect(workloadReadinessSeconds(rds.workloads['us-west-2']!, DEFAULT_LATENCY)).toBe(90 + 30);
  });

  it('is one pod start when the standby nodes have room', () => {
    const roomy: WorkloadConfig = {
      ...rds.workloads['us-west-2']!,
      nodeGroups: [{ name: 'general', activeSize: 6, standbySize: 4, maxSize: 10 }],
    };
    expect(workloadReadinessSeconds(roomy, DEFAULT_LATENCY)).toBe(30);
  });

  it('is nothing when the standby already runs its minimum', () => {
    const warm: WorkloadConfig = {
      ...rds.workloads['us-west-2']!,
      deployments: rds.workloads['us-west-2']!.deployments.map((d) => ({
        ...d,
        standbyReplicas: d.activeReplicas,
      })),
    };
    expect(workloadReadinessSeconds(warm, DEFAULT_LATENCY)).toBe(0);
  });
});

describe('rtoFloor', () => {
  it('is detection, confirmation and the promotion for an RDS replica, the TTL overlapped', () => {
    expect(rtoFloor(rds, 'us-west-2', DEFAULT_LATENCY)).toEqual({
      // The probes (10 s × 3, the last failing at its 6 s timeout) before Route 53's check (30 s × 3).
      detectionSeconds: 36,
      route53DetectionSeconds: 90,
      confirmationSeconds: 60,
      promotionSeconds: 300,
      workloadReadinessSeconds: 120,
      // Three regions: eu-west-1 leaves the answers when fenced, a fence alarm period after confirmation.
      answersSettleSeconds: 156,
      ttlNotOverlappedSeconds: 0,
      floorSeconds: 396,
    });
  });

  it('is detection, confirmation and the workloads for Aurora, whose failover is quicker', () => {
    const automatic: ApplicationConfig = {
      ...aurora,
      automation: { ...aurora.automation, automaticFailover: true },
    };
    expect(rtoFloor(automatic, 'us-west-2', DEFAULT_LATENCY)).toMatchObject({
      promotionSeconds: 60,
      workloadReadinessSeconds: 120,
      // Two regions: Route 53's check drops the primary at 90 s, before a fence could.
      answersSettleSeconds: 90,
      floorSeconds: 216,
    });
  });

  it("waits for a store's failover when it outlasts the database's promotion", () => {
    const automatic: ApplicationConfig = {
      ...aurora,
      automation: { ...aurora.automation, automaticFailover: true },
      stores: rds.stores,
    };
    expect(rtoFloor(automatic, 'us-west-2', { ...DEFAULT_LATENCY, storeFailoverSeconds: 240 })).toMatchObject(
      {
        promotionSeconds: 240,
      },
    );
    expect(rtoFloor(automatic, 'us-west-2', DEFAULT_LATENCY)).toMatchObject({ promotionSeconds: 60 });
  });

  it('counts the part of a long TTL that outlasts the recovery', () => {
    const longTtl: ApplicationConfig = { ...aurora, dns: { ...aurora.dns, ttlSeconds: 300 } };
    // A person starts it (no confirmation window): ready at 36 + 120; the answers settle at 90
    // (Route 53's check, before the fence one alarm period after detection), and clients wait 300 more.
    expect(rtoFloor(longTtl, 'us-west-2', DEFAULT_LATENCY)).toMatchObject({
      confirmationSeconds: 0,
      ttlNotOverlappedSeconds: 234,
      floorSeconds: 390,
    });
  });
});

describe('clientRtoSeconds', () => {
  const dns = [
    { at: 0, application: 'a', answers: ['us-east-1'] },
    { at: 30, application: 'a', answers: ['us-west-2', 'eu-west-1'] },
    { at: 150, application: 'a', answers: ['us-west-2'] },
    { at: 150, application: 'b', answers: ['us-west-2'] },
  ];

  it('is the restore when the answers settled a TTL before it', () => {
    expect(clientRtoSeconds(0, 400, 60, dns, 'a')).toBe(400);
  });

  it('waits for the TTL after the last change of the answers when that ends later', () => {
    expect(clientRtoSeconds(0, 180, 60, dns, 'a')).toBe(210);
  });
});

describe('mirrored', () => {
  it('swaps the first two regions of one application and moves a backup copy off the new primary', () => {
    const doc = mirrored(exampleConfigDocument(), 'ai-gateway-drill');
    expect(doc.applications[1]).toMatchObject({
      regions: ['us-west-2', 'us-east-1'],
      backup: { copyToRegion: 'us-east-1' },
    });
    expect(doc.applications[0]).toMatchObject({ regions: ['us-east-1', 'us-west-2', 'eu-west-1'] });
  });
});
