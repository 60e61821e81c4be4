import { rehearse } from '../support/scenario.ts';

/**
 * One RTO: the brief's (from the fault's onset until every answer goes to a writable, ready region,
 * plus the TTL). A rehearsal measures it from the fault itself; Lifeboat, which cannot see the fault,
 * measures it from the first failed check its alarms evaluated (their StateReasonData), and says so
 * wherever it reports it.
 */
describe('RTO (the automatic failover of the default outage, on the AWS twin)', () => {
  it('is recorded from the first failed check, agrees with the rehearsal within a probe interval, and says where it is measured from', async () => {
    const report = await rehearse({
      events: [
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        { at: 1800, recover: 'region-outage', region: 'us-east-1' },
      ],
      // The DNS change is retried at most 5 min apart: the run ends within 6 min of the return.
      until: 2200,
    });
    expect(report.violations).toEqual([]);
    const app = report.applications['ai-gateway']!;
    expect(app.outageAt).toBe(0);
    const recorded = app.recorded!;
    // The probes run every probeIntervalSeconds (10 s): the first failed one is the first after the fault.
    expect(recorded.from).toBe('the first failed check');
    expect(recorded.measuredFromAt).toBeGreaterThan(0);
    expect(recorded.measuredFromAt).toBeLessThanOrEqual(10);
    // The same definition: the two figures differ by where they start and by the steps' polling.
    expect(Math.abs(recorded.rtoSeconds! - app.rtoSeconds!)).toBeLessThanOrEqual(15);

    const record = report.ledger.find((r) => (r as { kind?: unknown }).kind === 'failover') as {
      details: Record<string, unknown>;
    };
    expect(record.details).toMatchObject({
      rtoSeconds: recorded.rtoSeconds,
      rtoFrom: 'the first failed check',
      rtoMeasuredFrom: '2030-01-01T00:00:10.000Z',
      // The confirmation window still runs from the first alarm.
      request: expect.objectContaining({
        incidentStartedAt: '2030-01-01T00:00:36.000Z',
        failureBeganAt: '2030-01-01T00:00:10.000Z',
      }) as unknown,
    });
    const slack = report.slack.find((m) => m.text.startsWith('Lifeboat failed ai-gateway over'));
    expect(slack?.text).toBe(
      `Lifeboat failed ai-gateway over from us-east-1 to us-west-2 (RTO ${recorded.rtoSeconds} s from the first failed check, RPO 0 s).`,
    );
  });
});
