import { loadConfig } from '../../../shared/config/loadConfig.ts';
import { AlarmHealth } from '../../../shared/failover/alarmHealth.ts';
import type { AlarmDescription, AlarmsPort } from '../../../shared/ports/Estate.ts';
import { EXAMPLE_CONFIG_PATH } from '../../support/exampleConfig.ts';

const app = loadConfig(EXAMPLE_CONFIG_PATH).applications[0]!;

/** An alarms port that answers one state and remembers what it was asked. */
function alarms(state: AlarmDescription['state']): AlarmsPort & { asked: [string, string][] } {
  const asked: [string, string][] = [];
  return {
    asked,
    describe: (name, region) => {
      asked.push([name, region]);
      return Promise.resolve({ state, updatedAt: '2030-01-01T00:00:00.000Z' });
    },
  };
}

describe('AlarmHealth', () => {
  it("reads the region's health-check alarm in us-east-1: OK is healthy", async () => {
    const port = alarms('OK');
    await expect(new AlarmHealth(port).getStatus(app, 'us-west-2')).resolves.toBe('healthy');
    expect(port.asked).toEqual([['lifeboat-ai-gateway-us-west-2-route53-health', 'us-east-1']]);
  });

  it('is unhealthy when the alarm is in ALARM', async () => {
    await expect(new AlarmHealth(alarms('ALARM')).getStatus(app, 'us-east-1')).resolves.toBe('unhealthy');
  });

  it('throws HealthCheckNoData, naming the alarm and the check, when the alarm has no data', async () => {
    const thrown = await new AlarmHealth(alarms('INSUFFICIENT_DATA'))
      .getStatus(app, 'eu-west-1')
      .catch((e: unknown) => e);
    expect(thrown).toHaveProperty('name', 'HealthCheckNoData');
    expect(thrown).toHaveProperty(
      'message',
      'lifeboat-ai-gateway-eu-west-1-route53-health in us-east-1 has no data: Route 53 publishes no HealthCheckStatus for the health check of ai-gateway in eu-west-1 (created in the last minutes, or deleted)',
    );
  });

  it("propagates the alarms port's error (us-east-1 not answering) for the callers to fall back on", async () => {
    const down: AlarmsPort = { describe: () => Promise.reject(new Error('us-east-1 is down')) };
    await expect(new AlarmHealth(down).getStatus(app, 'us-west-2')).rejects.toThrow('us-east-1 is down');
  });
});
