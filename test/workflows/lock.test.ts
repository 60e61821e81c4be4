import { failovers, ledgerOf, promotions, rehearse } from '../support/scenario.ts';

/** Two people fail ai-gateway over at once, to different standbys, while us-east-1 is down. */
const RACE = [
  { at: 0, fault: 'region-outage', region: 'us-east-1' },
  {
    at: 120,
    start: 'failover',
    input: { application: 'ai-gateway', targetRegion: 'us-west-2', reason: 'on-call A' },
  },
  {
    at: 120,
    start: 'failover',
    input: { application: 'ai-gateway', targetRegion: 'eu-west-1', reason: 'on-call B' },
  },
];

// Automatic failover would start its own run; take it out so the race is between the two people.
const manualOnly = (doc: { applications: Record<string, unknown>[] }) => {
  (doc.applications[0] as { automation: { automaticFailover: boolean } }).automation.automaticFailover =
    false;
};

describe('the application lock across regions (global table, replication delay modelled)', () => {
  it('lets exactly one of two runs in different regions act when replication beats the settle time', async () => {
    const report = await rehearse({ events: RACE, until: 900, config: manualOnly });
    const runs = failovers(report);
    expect(runs).toHaveLength(2);
    const gaveWay = runs.filter((e) => e.status === 'SKIPPED');
    expect(gaveWay).toHaveLength(1);
    expect(ledgerOf(report, gaveWay[0]!.name)).toMatchObject({
      status: 'SKIPPED',
      reason: expect.stringContaining('another region took the lock of ai-gateway first'),
    });
    expect(promotions(report)).toHaveLength(1);
    expect(report.violations).toEqual([]);
  });

  it('keeps them apart whatever the replication delay: each run reads the other replicas directly', async () => {
    const report = await rehearse({
      events: RACE,
      until: 900,
      config: manualOnly,
      latency: { dynamodbReplicationSeconds: 30 },
    });
    expect(failovers(report).filter((e) => e.status === 'SKIPPED')).toHaveLength(1);
    expect(promotions(report)).toHaveLength(1);
    expect(report.violations).toEqual([]);
  });

  it('lets a run that starts after the first one finished act, once the lease is released', async () => {
    const report = await rehearse({
      events: [
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        {
          at: 120,
          start: 'failover',
          input: { application: 'ai-gateway', targetRegion: 'us-west-2', dryRun: true },
        },
        {
          at: 600,
          start: 'failover',
          input: { application: 'ai-gateway', targetRegion: 'eu-west-1', dryRun: true },
        },
      ],
      until: 900,
      config: manualOnly,
    });
    expect(failovers(report).map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(report.violations).toEqual([]);
  });
});
