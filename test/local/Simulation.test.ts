import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../local/scenario/Scenario.ts';
import { simulate } from '../../local/simulate/Simulation.ts';
import { localRuntime } from '../../local/simulate/localRuntime.ts';
import { fixturePath } from '../support/fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = (file: string) => simulate({ scenario: loadScenario(file, ROOT), ...localRuntime() });
/** The world alone: no trigger, no workflow acts. */
const observe = (file: string) => simulate({ scenario: loadScenario(file, ROOT) });

describe('simulate', () => {
  it('measures RTO from the fault to the first moment every DNS answer serves again, plus the TTL', async () => {
    const report = await observe(fixturePath('scenarios/outage-and-return.json'));
    // Down at 0; back at 600, where that instant's check already sees it up; after three passing
    // Route 53 checks (600, 630, 660: every 30 s) DNS answers it again, writable with its workloads
    // ready; clients holding the old answer wait one TTL more.
    expect(report.applications['ai-gateway']).toEqual({
      outageAt: 0,
      restoredAt: 660,
      rtoSeconds: 720,
      rpoSeconds: null,
      rtoTargetSeconds: 900,
      rpoTargetSeconds: 60,
    });
    expect(report.rtoSeconds).toBe(720);
    expect(report.rpoSeconds).toBeNull();
    expect(report.dns.filter((d) => d.application === 'ai-gateway')).toEqual([
      { at: 0, application: 'ai-gateway', answers: ['us-east-1'] },
      { at: 90, application: 'ai-gateway', answers: ['us-west-2', 'eu-west-1'] },
      { at: 660, application: 'ai-gateway', answers: ['us-east-1'] },
    ]);
    expect(report.executions).toEqual([]);
    expect(report.violations).toEqual([]);
  });

  it('shows the health checks, the alarms and the delivered events of a primary outage on the timeline', async () => {
    const report = await run(`${ROOT}examples/scenarios/primary-outage.json`);
    const line = (kind: string, text: string) =>
      report.timeline.find((e) => e.kind === kind && e.application === 'ai-gateway' && e.text.includes(text));
    expect(line('health-check', 'unhealthy')).toMatchObject({ at: 90, region: 'us-east-1' });
    // us-east-1 holds the alarms: they are frozen until it returns, then catch up.
    expect(line('alarm', 'route53-health OK → ALARM')).toMatchObject({ at: 1800 });
    // The other regions' probes see it after three failed 10-second probes, each failing at its
    // 6-second timeout, and tell their own bus.
    expect(line('alarm', 'us-east-1-probe-from-us-west-2 OK → ALARM')).toMatchObject({ at: 36 });
    expect(
      line('event-delivered', 'received lifeboat-ai-gateway-us-east-1-probe-from-eu-west-1 ALARM'),
    ).toMatchObject({
      at: 37,
      region: 'eu-west-1',
    });
    expect(
      report.events
        .filter((e) => e.alarmName === 'lifeboat-ai-gateway-us-east-1-route53-health' && e.state === 'ALARM')
        .map((e) => e.busRegion)
        .sort(),
    ).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
    // After the approved failback the primary serves again, and us-west-2 is a standby once more.
    expect(report.world.regions['us-east-1']).toMatchObject({
      healthy: true,
      dnsWeight: 100,
      database: 'standalone',
    });
    expect(report.world.regions['us-west-2']).toMatchObject({
      healthy: true,
      dnsWeight: 0,
      database: 'replica',
      workloads: { 'ai-gateway/litellm': 2, 'ai-gateway/agentgateway': 1 },
    });
    expect(report.violations).toEqual([]);
  });

  it('produces every field of the report contract', async () => {
    const report = await observe(fixturePath('scenarios/outage-and-return.json'));
    for (const key of [
      'scenario',
      'executions',
      'rtoSeconds',
      'rpoSeconds',
      'world',
      'ledger',
      'slack',
      'dns',
      'writers',
      'violations',
    ]) {
      expect(report).toHaveProperty(key);
    }
    expect(report.scenario).toBe('outage-and-return');
    expect(Object.keys(report.world.regions).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('refuses a scenario that starts a workflow there is no definition for, naming the event', async () => {
    // A folder with the failover's definition alone: the scenario's failback has none.
    const only = mkdtempSync(join(tmpdir(), 'lifeboat-statemachines-'));
    copyFileSync(join(ROOT, 'statemachines', 'failover.asl.json'), join(only, 'failover.asl.json'));
    const scenario = loadScenario(fixturePath('scenarios/start-missing-workflow.json'), ROOT);
    await expect(simulate({ scenario, ...localRuntime(), statemachinesDir: only })).rejects.toThrow(
      'events[0].start: there is no failback workflow (statemachines/failback.asl.json) to start',
    );
  });

  it('injects an API fault and its recovery at their times', async () => {
    const report = await simulate({
      scenario: {
        ...loadScenario(fixturePath('scenarios/outage-and-return.json'), ROOT),
        events: [
          { kind: 'fault', index: 0, at: 10, fault: { type: 'api-throttle', service: 'route53', count: 3 } },
          { kind: 'recover', index: 1, at: 20, fault: { type: 'api-throttle', service: 'route53' } },
        ],
      },
      ...localRuntime(),
    });
    expect(
      report.timeline.filter((e) => e.kind === 'fault' || e.kind === 'recover').map((e) => [e.at, e.text]),
    ).toEqual([
      [10, 'route53 throttles 3 request(s)'],
      [20, 'route53 works again'],
    ]);
  });
});
