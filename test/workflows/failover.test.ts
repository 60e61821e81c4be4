import { dnsChanges, failovers, ledgerOf, promotions, rehearse, stateNames } from '../support/scenario.ts';

const OUTAGE = { at: 0, fault: 'region-outage', region: 'us-east-1' };

describe('failover workflow (real ASL on the local runtime)', () => {
  it("fails ai-gateway (rds-read-replica) over on its own when us-east-1 and Route 53's control plane are down", async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 4 },
        { at: 1800, recover: 'region-outage', region: 'us-east-1' },
      ],
    });
    expect(report.violations).toEqual([]);
    const [run, ...others] = failovers(report);
    expect(others).toEqual([]);
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    expect(stateNames(run!)).toEqual(
      expect.arrayContaining([
        'ValidateInput',
        'AcquireLock',
        'Preflight',
        'Decide',
        'FenceSource',
        'Recover',
        'PromoteDatabase',
        'ScaleNodeGroups',
        'ShiftTraffic',
        'CheckChange',
        'VerifyTarget',
        'RecordSuccess',
        'ReleaseLock',
      ]),
    );
    // The record change waits for us-east-1 (Route 53's API) and is retried until it answers.
    expect(
      run!.states.filter((s) => s.name === 'ShiftTraffic' && s.status === 'RETRIED').length,
    ).toBeGreaterThan(10);
    expect(report.applications['ai-gateway']).toMatchObject({ rpoSeconds: 4 });
    const rto = report.applications['ai-gateway']!.rtoSeconds!;
    expect(rto).toBeLessThan(900);
    // Detection (30 s) + confirmation (60 s) + promotion (300 s) + TTL (60 s) bound it from below.
    expect(rto).toBeGreaterThan(30 + 60 + 300 + 60);
    expect(ledgerOf(report, run!.name)).toMatchObject({
      kind: 'failover',
      status: 'SUCCEEDED',
      details: { rpoSeconds: 4 },
    });
    expect(report.world.regions['us-west-2']).toMatchObject({ dnsWeight: 100, database: 'standalone' });
  });

  it('fails an aurora-global application over with a global cluster failover', async () => {
    const report = await rehearse({
      events: [OUTAGE],
      until: 1200,
      config: (doc) => {
        (doc.applications[1] as { automation: { automaticFailover: boolean } }).automation.automaticFailover =
          true;
      },
    });
    expect(report.violations).toEqual([]);
    const drill = failovers(report).find((e) => e.name.includes('ai-gateway-drill'));
    // us-east-1 stays down: the weights cannot move, but the data plane already serves us-west-2.
    expect(drill?.status).toBe('RUNNING');
    expect(promotions(report, 'ai-gateway-drill')).toEqual([
      'Aurora failover to ai-gateway-drill-usw2 started (lag 0 s)',
    ]);
    const app = report.applications['ai-gateway-drill']!;
    expect(app.rtoSeconds).not.toBeNull();
    expect(app.rtoSeconds!).toBeLessThan(app.rtoTargetSeconds);
  });

  it('starts nothing for a flap shorter than the detection window', async () => {
    const report = await rehearse({
      events: [
        { at: 0, fault: 'health-check-flap', region: 'us-east-1', periodSeconds: 20 },
        { at: 600, recover: 'health-check-flap', region: 'us-east-1' },
      ],
      until: 900,
    });
    expect(report.executions).toEqual([]);
    expect(report.violations).toEqual([]);
  });

  it('starts one failover for a storm of alarm events from every region', async () => {
    const report = await rehearse({
      events: [OUTAGE, { at: 900, recover: 'region-outage', region: 'us-east-1' }],
      until: 1500,
    });
    expect(
      report.events.filter((e) => e.application === 'ai-gateway' && e.state === 'ALARM').length,
    ).toBeGreaterThanOrEqual(2);
    expect(failovers(report).filter((e) => e.name.startsWith('auto-ai-gateway-us-east-1'))).toHaveLength(1);
    expect(report.violations).toEqual([]);
  });

  it('lets one of two concurrent manual starts act; the other is skipped and says why', async () => {
    const start = (at: number) => ({
      at,
      start: 'failover',
      input: { application: 'ai-gateway-drill', targetRegion: 'us-west-2', reason: 'drill' },
    });
    const report = await rehearse({ events: [OUTAGE, start(120), start(120)], until: 900 });
    const runs = failovers(report).filter((e) => !e.name.startsWith('auto-'));
    expect(runs.map((e) => e.status).sort()).toEqual(
      ['SKIPPED', 'SUCCEEDED'].sort().includes('RUNNING') ? [] : expect.arrayContaining(['SKIPPED']),
    );
    const skipped = runs.find((e) => e.status === 'SKIPPED')!;
    expect(ledgerOf(report, skipped.name)).toMatchObject({
      status: 'SKIPPED',
      reason: expect.stringContaining('another run holds the lock of ai-gateway-drill'),
    });
    expect(promotions(report, 'ai-gateway-drill')).toHaveLength(1);
    expect(report.violations).toEqual([]);
  });

  it('does not promote or move DNS when the target is unhealthy too, and records why', async () => {
    const report = await rehearse({
      // A region-wide outage of the target takes its control plane down too: on the AWS twin the
      // run cannot reach its own region's table at all. The decision is the step code's, which the
      // port-level runtime runs with the region's API still answering.
      mode: 'ports',
      events: [
        { at: 0, fault: 'region-outage', region: 'us-west-2' },
        OUTAGE,
        { at: 120, start: 'failover', input: { application: 'ai-gateway-drill', targetRegion: 'us-west-2' } },
      ],
      until: 600,
    });
    const run = failovers(report).find((e) => !e.name.startsWith('auto-'))!;
    expect(run.status).toBe('ABORTED');
    expect(stateNames(run)).not.toContain('PromoteDatabase');
    expect(promotions(report, 'ai-gateway-drill')).toEqual([]);
    expect(dnsChanges(report, 'ai-gateway-drill')).toEqual([]);
    expect(ledgerOf(report, run.name)).toMatchObject({
      status: 'ABORTED',
      reason: expect.stringContaining('the target us-west-2 is not healthy'),
    });
    expect(report.violations).toEqual([]);
  });

  describe('with every standby lagging past the automatic budget', () => {
    // eu-west-1 too: a standby within the budget would be chosen instead (see the next block).
    const LAG = { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 45 };
    const LAG_EU = { at: 0, fault: 'replica-lag', region: 'eu-west-1', seconds: 50 };

    it('asks on Slack and promotes nothing while it waits', async () => {
      const report = await rehearse({ events: [LAG, LAG_EU, OUTAGE], until: 600 });
      const [run] = failovers(report);
      expect(run?.status).toBe('RUNNING');
      expect(run!.states.at(-1)).toMatchObject({ name: 'RequestApproval' });
      expect(promotions(report)).toEqual([]);
      expect(dnsChanges(report)).toEqual([]);
      const [started, ask] = report.slack;
      // The run says what it is about to do, and why (the alarms that started it), before it checks.
      expect(started?.text).toMatch(
        /^Lifeboat is failing ai-gateway over from us-east-1 to us-west-2 \(automatic: [^)]*lifeboat-ai-gateway-us-east-1-probe-from-us-west-2[^)]*\)\. First it checks the target, the source, the replica lag, the cooldown and the target cluster\.$/,
      );
      expect(ask?.text).toContain('Fail over ai-gateway to us-west-2?');
      expect(ask?.text).toContain('replica lag 45 s (budget 30 s)');
      // The buttons carry the approval's short id, never the task token.
      expect(JSON.stringify(ask)).not.toContain(run!.name + '.RequestApproval');
      expect(report.violations).toEqual([]);
    });

    it("proceeds on an approver's Approve, as a person's promotion", async () => {
      const report = await rehearse({
        events: [
          LAG,
          LAG_EU,
          OUTAGE,
          { at: 400, approve: 'failover', by: 'U0APPROVER' },
          { at: 1200, recover: 'region-outage', region: 'us-east-1' },
        ],
        until: 1800,
      });
      const [run] = failovers(report);
      expect(run?.status).toBe('SUCCEEDED');
      expect(promotions(report)).toHaveLength(1);
      const asked = run!.states.find((s) => s.name === 'RequestApproval')!;
      const fence = run!.states.find((s) => s.name === 'FenceSource')!;
      expect(fence.enteredAt).toBeGreaterThanOrEqual(400);
      expect(asked.exitedAt).toBeGreaterThanOrEqual(400);
      expect(ledgerOf(report, run!.name)).toMatchObject({
        status: 'SUCCEEDED',
        // The record names who approved the promotion past the budget.
        details: expect.objectContaining({
          rpoSeconds: 45,
          approval: expect.objectContaining({ by: 'U0APPROVER' }),
        }),
      });
      expect(report.slack.some((m) => m.text.includes('Approved by <@U0APPROVER>'))).toBe(true);
      // Invariant 3: past the budget only with a person, which the approval is.
      expect(report.violations).toEqual([]);
    });

    it('ends REJECTED on Reject, moving nothing, and releases the lock', async () => {
      const report = await rehearse({
        events: [LAG, LAG_EU, OUTAGE, { at: 400, reject: 'failover', by: 'U0ONCALL01' }],
        until: 900,
      });
      const [run] = failovers(report);
      expect(run?.status).toBe('ABORTED');
      expect(promotions(report)).toEqual([]);
      expect(dnsChanges(report)).toEqual([]);
      expect(ledgerOf(report, run!.name)).toMatchObject({
        status: 'REJECTED',
        reason: expect.stringContaining('rejected by U0ONCALL01'),
      });
      expect(report.slack.some((m) => m.text.includes('Rejected by <@U0ONCALL01>'))).toBe(true);
      expect(report.violations).toEqual([]);
    });

    it('ends TIMED_OUT when nobody decides, moving nothing, and says so on the message', async () => {
      const report = await rehearse({ events: [LAG, LAG_EU, OUTAGE], until: 4500 });
      const [run] = failovers(report);
      expect(run?.status).toBe('ABORTED');
      expect(promotions(report)).toEqual([]);
      expect(ledgerOf(report, run!.name)).toMatchObject({
        status: 'TIMED_OUT',
        reason: 'nobody approved within 3600 s; nothing moved',
      });
      expect(report.slack.some((m) => m.text.includes('Timed out: nobody approved within 3600 s'))).toBe(
        true,
      );
      expect(report.violations).toEqual([]);
    });

    it('does not count a press from someone who is not an approver', async () => {
      const report = await rehearse({
        events: [LAG, LAG_EU, OUTAGE, { at: 400, approve: 'failover', by: 'U0STRANGER' }],
        until: 900,
      });
      const [run] = failovers(report);
      expect(run?.status).toBe('RUNNING');
      expect(promotions(report)).toEqual([]);
      expect(
        report.timeline.some((e) => e.text.includes('U0STRANGER pressed Approve') && e.text.includes('403')),
      ).toBe(true);
      expect(report.violations).toEqual([]);
    });
  });

  it('goes to the next standby within the lag budget when the first is over it, and says why', async () => {
    const report = await rehearse({
      // us-east-1 returns at 1200 s: Route 53's API answers again and the weights stick.
      events: [
        { at: 0, fault: 'replica-lag', region: 'us-west-2', seconds: 45 },
        OUTAGE,
        { at: 1200, recover: 'region-outage', region: 'us-east-1' },
      ],
      // The example's smoke-test Job runs after the weights move (a minute), before the record.
      until: 1700,
    });
    expect(report.violations).toEqual([]);
    const [run, ...others] = failovers(report);
    expect(others).toEqual([]);
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    // Started by eu-west-1's trigger, for eu-west-1, with no person asked.
    expect(stateNames(run!)).not.toContain('RequestApproval');
    expect(report.world.regions['eu-west-1']?.applications['ai-gateway']).toMatchObject({
      dnsWeight: 100,
      database: 'standalone',
    });
    expect(report.world.regions['us-west-2']?.applications['ai-gateway']?.database).toBe('replica');
    const record = ledgerOf(report, run!.name) as { details: { request: { reason: string } } };
    expect(record.details.request.reason).toMatch(
      /eu-west-1 chosen over us-west-2: us-west-2 45 s of writes at risk against the 30 s budget; eu-west-1 \d+ s of writes at risk, no capacity issue$/,
    );
  });

  it('retries throttling on every AWS operation it calls and succeeds', async () => {
    const throttle = (service: string, count: number) => ({ at: 0, fault: 'api-throttle', service, count });
    const report = await rehearse({
      events: [
        OUTAGE,
        throttle('rds', 2),
        throttle('eks', 2),
        throttle('kubernetes', 2),
        throttle('cloudwatch', 2),
        throttle('dynamodb', 0 + 1),
        { at: 900, recover: 'region-outage', region: 'us-east-1' },
        { at: 900, fault: 'api-throttle', service: 'route53', count: 3 },
      ],
      until: 1800,
    });
    const [run] = failovers(report);
    expect(run?.status).toBe('SUCCEEDED');
    expect(run!.states.some((s) => s.status === 'RETRIED' && s.error === 'ThrottledError')).toBe(true);
    expect(report.violations).toEqual([]);
  });

  it.each([
    [
      'promotion',
      { service: 'rds', operation: 'PromoteReadReplica', error: 'AccessDenied' },
      'PermanentServiceError',
    ],
    [
      'scaling',
      { service: 'eks', operation: 'UpdateNodegroupConfig', error: 'AccessDeniedException' },
      'PermanentServiceError',
    ],
  ])(
    'ends FAILED on a permanent error in %s, recorded, lock released, no invariant broken',
    async (_what, fault, error) => {
      const report = await rehearse({
        events: [OUTAGE, { at: 0, fault: 'api-error', ...fault, permanent: true }],
        until: 900,
      });
      const [run] = failovers(report);
      expect(run).toMatchObject({ status: 'FAILED', error });
      expect(stateNames(run!)).toEqual(
        expect.arrayContaining(['RecordFailure', 'ReleaseLockAfterFailure', 'FailoverFailed']),
      );
      expect(ledgerOf(report, run!.name)).toMatchObject({ status: 'FAILED', error: { name: error } });
      expect(dnsChanges(report)).toEqual([]);
      expect(report.violations).toEqual([]);
    },
  );

  it('ends FAILED on a permanent error in the DNS change once Route 53 answers', async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        {
          at: 0,
          fault: 'api-error',
          service: 'route53',
          operation: 'ChangeResourceRecordSets',
          error: 'AccessDenied',
          permanent: true,
        },
        { at: 600, recover: 'region-outage', region: 'us-east-1' },
      ],
      until: 1500,
    });
    const [run] = failovers(report);
    expect(run).toMatchObject({ status: 'FAILED', error: 'PermanentServiceError' });
    expect(run!.cause).toContain('AccessDenied');
    expect(report.violations).toEqual([]);
  });

  it('reports a capacity shortfall and never moves the weights to a target short of its minimum', async () => {
    // Both standbys are short: none qualifies, so the failover goes to the first and finds out.
    const report = await rehearse({
      events: [
        OUTAGE,
        { at: 0, fault: 'capacity-shortfall', region: 'us-west-2', maxReplicas: 3 },
        { at: 0, fault: 'capacity-shortfall', region: 'eu-west-1', maxReplicas: 3 },
      ],
      until: 1800,
    });
    const [run] = failovers(report);
    expect(run).toMatchObject({ status: 'FAILED', error: 'NotReadyError' });
    expect(run!.cause).toContain('ai-gateway/litellm 3/4 ready');
    expect(dnsChanges(report)).toEqual([]);
    expect(report.violations).toEqual([]);
  });

  it('fails over to the next standby when EKS says the first cannot add nodes, and says why', async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        { at: 0, fault: 'capacity-shortfall', region: 'us-west-2', maxReplicas: 3 },
        { at: 900, recover: 'region-outage', region: 'us-east-1' },
      ],
      until: 1500,
    });
    const [run] = failovers(report);
    const record = ledgerOf(report, run!.name) as {
      details: { request: { reason: string; targetRegion: string } };
    };
    expect(record.details.request.targetRegion).toBe('eu-west-1');
    expect(record.details.request.reason).toMatch(
      /; eu-west-1 chosen over us-west-2: us-west-2 short of capacity \(node group general: AsgInstanceLaunchFailures\); eu-west-1 \d+ s of writes at risk, no capacity issue$/,
    );
    expect(run?.status).toBe('SUCCEEDED');
    expect(promotions(report)).toEqual([expect.stringContaining('ai-gateway-db-euw1')]);
    expect(report.world.regions['eu-west-1']?.applications['ai-gateway']?.dnsWeight).toBe(100);
    expect(report.slack[0]?.text).toContain('eu-west-1 chosen over us-west-2: us-west-2 short of capacity');
    expect(report.violations).toEqual([]);
  });

  it('changes nothing on a dry run and records the plan', async () => {
    const report = await rehearse({
      events: [
        OUTAGE,
        {
          at: 120,
          start: 'failover',
          input: { application: 'ai-gateway-drill', targetRegion: 'us-west-2', dryRun: true },
        },
      ],
      until: 600,
    });
    const run = failovers(report).find((e) => !e.name.startsWith('auto-'))!;
    expect(run.status).toBe('SUCCEEDED');
    expect(stateNames(run)).toContain('RecordPlan');
    expect(stateNames(run)).not.toContain('FenceSource');
    expect(promotions(report, 'ai-gateway-drill')).toEqual([]);
    expect(ledgerOf(report, run.name)).toMatchObject({
      status: 'SUCCEEDED',
      reason: expect.stringContaining('dry run'),
      details: { decision: { outcome: 'plan' } },
    });
  });

  it.each([
    [{ application: 'nope', targetRegion: 'us-west-2' }, 'application: no application named "nope"'],
    [
      { application: 'ai-gateway', targetRegion: 'ap-south-1' },
      'targetRegion: ap-south-1 is not a region of ai-gateway',
    ],
    [
      { application: 'ai-gateway', targetRegion: 'us-east-1' },
      'targetRegion: us-east-1 already serves ai-gateway',
    ],
    [
      { application: 'ai-gateway', targetRegion: 'us-west-2', dryRun: 'yes' },
      'dryRun: Invalid input: expected boolean',
    ],
    [{ application: 'ai-gateway', targetRegion: 'us-west-2', target: 'x' }, 'target: unknown field'],
    [{ application: 'ai-gateway' }, 'targetRegion: required'],
    [
      {
        application: 'ai-gateway',
        targetRegion: 'us-west-2',
        mode: 'automatic',
        force: true,
        incident: { startedAt: '2030-01-01T00:00:00.000Z', signals: [] },
      },
      'force: an automatic failover cannot force traffic',
    ],
  ])('rejects bad input %j at its first state, changing nothing', async (input, message) => {
    const report = await rehearse({ events: [{ at: 10, start: 'failover', input }], until: 120 });
    const [run] = failovers(report);
    expect(run).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    // The cause is the function error as Step Functions reports it: errorType and errorMessage.
    expect((JSON.parse(run!.cause!) as { errorMessage: string }).errorMessage).toContain(message);
    expect(stateNames(run!)).toEqual(['ValidateInput', 'InvalidInput']);
    expect(ledgerOf(report, run!.name)).toMatchObject({ status: 'FAILED', error: { name: 'InvalidInput' } });
    expect(
      report.timeline.filter((e) => ['dns-change', 'database', 'node-group', 'deployment'].includes(e.kind)),
    ).toEqual([]);
  });

  it('lists every problem of a bad input in one cause', async () => {
    const report = await rehearse({
      events: [
        {
          at: 10,
          start: 'failover',
          input: { application: 'ai-gateway', targetRegion: 'ap-south-1', sourceRegion: 'mars-1' },
        },
      ],
      until: 60,
    });
    const [run] = failovers(report);
    expect(run!.cause).toContain('targetRegion: ap-south-1');
    expect(run!.cause).toContain('sourceRegion: mars-1');
  });
});
