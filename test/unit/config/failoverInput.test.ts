import { checkFailoverInput } from '../../../shared/failover/FailoverInput.ts';
import { InvalidInputError } from '../../../shared/errors.ts';
import { loadConfig } from '../../../shared/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH } from '../../support/exampleConfig.ts';

describe('checkFailoverInput', () => {
  const config = loadConfig(EXAMPLE_CONFIG_PATH);
  const options = { now: new Date('2030-01-01T00:10:00.000Z'), currentPrimary: () => 'us-east-1' };

  it('takes the console input and works out the rest', () => {
    expect(
      checkFailoverInput({ application: 'ai-gateway', targetRegion: 'us-west-2' }, config, {
        ...options,
        region: 'us-west-2',
      }),
    ).toEqual({
      application: 'ai-gateway',
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      mode: 'manual',
      dryRun: false,
      force: false,
      reason: 'manual start',
      incidentStartedAt: '2030-01-01T00:10:00.000Z',
      failureBeganAt: '2030-01-01T00:10:00.000Z',
      rtoFrom: 'the start of the run',
      confirmationWaitSeconds: 0,
      // The config's approval timeout (one hour), and the lock held for it and the failover's lease.
      approvalTimeoutSeconds: 3600,
      approvalLockLeaseSeconds: 3600 + 26 * 3600,
    });
  });

  it("refuses a failover started from another region's console, naming the right one", () => {
    expect(() =>
      checkFailoverInput({ application: 'ai-gateway', targetRegion: 'us-west-2' }, config, {
        ...options,
        region: 'eu-west-1',
      }),
    ).toThrow(
      'targetRegion: a failover runs in the region it moves traffic to; start it from the us-west-2 console (this is eu-west-1)',
    );
  });

  it('waits out what is left of the confirmation window in automatic mode', () => {
    const request = checkFailoverInput(
      {
        application: 'ai-gateway',
        targetRegion: 'us-west-2',
        mode: 'automatic',
        sourceRegion: 'us-east-1',
        incident: { startedAt: '2030-01-01T00:09:30.000Z', signals: ['a'] },
      },
      config,
      options,
    );
    expect(request.confirmationWaitSeconds).toBe(30);
    expect(request).toMatchObject({ failureBeganAt: '2030-01-01T00:09:30.000Z', rtoFrom: 'the first alarm' });
  });

  it('measures the RTO from the first failed check the alarms saw, and keeps the confirmation window on the alarm', () => {
    const incident = {
      startedAt: '2030-01-01T00:09:30.000Z',
      failingSince: '2030-01-01T00:09:10.000Z',
      signals: ['a'],
    };
    const input = {
      application: 'ai-gateway',
      targetRegion: 'us-west-2',
      mode: 'automatic',
      sourceRegion: 'us-east-1',
    };
    const request = checkFailoverInput({ ...input, incident }, config, options);
    expect(request).toMatchObject({
      incidentStartedAt: '2030-01-01T00:09:30.000Z',
      failureBeganAt: '2030-01-01T00:09:10.000Z',
      rtoFrom: 'the first failed check',
      confirmationWaitSeconds: 30,
    });
    expect(() =>
      checkFailoverInput(
        { ...input, incident: { ...incident, failingSince: '2030-01-01T00:09:40.000Z' } },
        config,
        options,
      ),
    ).toThrow(/incident\.failingSince: 2030-01-01T00:09:40\.000Z is after incident\.startedAt/);
    const manual = checkFailoverInput(
      { application: 'ai-gateway', targetRegion: 'us-west-2' },
      config,
      options,
    );
    expect(manual.rtoFrom).toBe('the start of the run');
  });

  it('suggests the region or application a typo was meant to name', () => {
    expect(() =>
      checkFailoverInput({ application: 'ai-gateway', targetRegion: 'us-wset-2' }, config, options),
    ).toThrow(/targetRegion: us-wset-2 is not a region of ai-gateway \(.*\); did you mean "us-west-2"\?/);
    expect(() =>
      checkFailoverInput({ application: 'ai-gatewya', targetRegion: 'us-west-2' }, config, options),
    ).toThrow(/no application named "ai-gatewya".*; did you mean "ai-gateway"\?/);
    // Nothing close: no suggestion.
    expect(() =>
      checkFailoverInput({ application: 'ai-gateway', targetRegion: 'ap-south-1' }, config, options),
    ).toThrow(/is not a region of ai-gateway \([^)]*\)$/);
  });

  it('lists every problem at once', () => {
    try {
      checkFailoverInput(
        {
          application: 'ai-gateway',
          targetRegion: 'ap-south-1',
          sourceRegion: 'mars-1',
          force: true,
          mode: 'automatic',
        },
        config,
        options,
      );
      throw new Error('expected a rejection');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).problems).toHaveLength(4);
    }
  });
});
