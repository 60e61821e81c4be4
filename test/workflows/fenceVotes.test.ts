import { loadScenario } from '../../local/scenario/Scenario.ts';
import { simulate } from '../../local/simulate/Simulation.ts';
import { twinRuntime } from '../../local/simulate/twinRuntime.ts';
import type { Report } from '../../local/report/Report.ts';
import type { World } from '../../local/world/World.ts';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Fences are votes (docs/fencing.md): by default one per record, in a control-plane region that is
 * neither the record's own, nor the primary, nor us-east-1; with `fenceVotes: "majority"` one in
 * every control-plane region, a majority deciding. The same scenario runs under both: the failover's
 * fence, voted from us-west-2 while us-east-1 is down, is lifted by a failback that runs in
 * us-east-1 while eu-west-1 is down.
 */
interface Expected {
  readonly mode: 'one' | 'majority';
  readonly fenced: string;
  readonly unfenced: string;
  readonly votesAtEnd: Record<string, Record<string, boolean>>;
  readonly voteRegions: readonly string[];
}

describe.each<Expected>([
  {
    mode: 'one',
    fenced: 'record of us-east-1 fenced (0 of 1 fence votes open; fenced by us-west-2)',
    unfenced: 'record of us-east-1 unfenced (1 of 1 fence votes open)',
    votesAtEnd: {
      'us-east-1': { 'us-west-2': false },
      'us-west-2': { 'eu-west-1': false },
      'eu-west-1': { 'us-west-2': false },
    },
    voteRegions: ['us-west-2', 'eu-west-1'],
  },
  {
    mode: 'majority',
    fenced: 'record of us-east-1 fenced (1 of 3 fence votes open; fenced by us-west-2, eu-west-1)',
    // eu-west-1's stale vote is outvoted.
    unfenced: 'record of us-east-1 unfenced (2 of 3 fence votes open; fenced by eu-west-1)',
    votesAtEnd: Object.fromEntries(
      ['us-east-1', 'us-west-2', 'eu-west-1'].map((r) => [
        r,
        { 'us-east-1': false, 'us-west-2': false, 'eu-west-1': false },
      ]),
    ),
    voteRegions: ['us-east-1', 'us-west-2', 'eu-west-1'],
  },
])('fence votes "$mode" (examples/scenarios/fence-votes.json, on the AWS twin)', (expected) => {
  let report: Report;
  let world: World | undefined;
  beforeAll(async () => {
    const loaded = loadScenario('examples/scenarios/fence-votes.json', ROOT);
    const scenario = { ...loaded, config: { ...loaded.config, fenceVotes: expected.mode } };
    const runtime = twinRuntime();
    report = await simulate({
      scenario,
      ...runtime,
      setup: async (context) => {
        await runtime.setup?.(context);
        world = context.world;
      },
    });
  });

  const fenceNotes = (region: string) =>
    report.timeline
      .filter(
        (t) =>
          t.application === 'ai-gateway' && t.region === region && /^record of .* (un)?fenced/.test(t.text),
      )
      .map((t) => ({ at: t.at, text: t.text }));

  it('fails over and back with no violation, ending with the writer and every answer on us-east-1', () => {
    expect(report.violations).toEqual([]);
    const runs = report.executions;
    expect(runs.filter((e) => e.workflow === 'failover').map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(runs.filter((e) => e.workflow === 'failback').map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(report.dns.filter((d) => d.application === 'ai-gateway').at(-1)?.answers).toEqual(['us-east-1']);
  });

  it("fences us-east-1's record without us-east-1's CloudWatch while us-east-1 is down", () => {
    const [fenced] = fenceNotes('us-east-1');
    expect(fenced?.at).toBeLessThan(300);
    expect(fenced?.text).toBe(expected.fenced);
    // The standby that is not the target is fenced too: Route 53's API is down with us-east-1.
    expect(fenceNotes('eu-west-1')[0]?.at).toBeLessThan(300);
  });

  it('lifts that fence from us-east-1 while eu-west-1 is down', () => {
    const unfenced = fenceNotes('us-east-1').find((n) => n.text.includes('unfenced'));
    expect(unfenced).toBeDefined();
    // eu-west-1 is down from 3900 s to 6500 s.
    expect(unfenced!.at).toBeGreaterThan(4000);
    expect(unfenced!.at).toBeLessThan(6500);
    expect(unfenced!.text).toBe(expected.unfenced);
  });

  it('fences us-west-2 for the writer switch and lifts it at the end: every vote on every record open', () => {
    const notes = fenceNotes('us-west-2').map((n) => n.text.split(' (')[0]);
    expect(notes).toEqual(['record of us-west-2 fenced', 'record of us-west-2 unfenced']);
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1']) {
      expect([region, world!.fenceVotes('ai-gateway', region)]).toEqual([
        region,
        expected.votesAtEnd[region],
      ]);
    }
  });

  it('publishes every vote through the traffic function, each call allowed by its role and well-formed', () => {
    const votes = (report.awsCalls ?? []).filter(
      (c) => c.function === 'lifeboat-traffic' && c.operation === 'PutMetricData',
    );
    // The world refuses a vote outside the record's vote regions; each of them took some.
    for (const region of expected.voteRegions) expect(votes.some((c) => c.region === region)).toBe(true);
    expect(votes.filter((c) => c.decision === 'denied' || c.modelErrors.length > 0)).toEqual([]);
  });

  it("delivers the alarm events eu-west-1's bus missed while it was down once it is back, late, and they start nothing", () => {
    // EventBridge retries a delivery it cannot make for up to 24 hours (docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html).
    const late = report.timeline.filter(
      (t) =>
        t.kind === 'event-delivered' &&
        t.region === 'eu-west-1' &&
        t.text.includes('retried while eu-west-1 was down'),
    );
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((t) => t.at >= 6500)).toBe(true);
    // The trigger reads the alarms themselves: a stale ALARM starts no second failover.
    expect(report.executions.filter((e) => e.workflow === 'failover')).toHaveLength(1);
    expect(report.timeline.filter((t) => t.kind === 'event-dropped')).toEqual([]);
  });
});
