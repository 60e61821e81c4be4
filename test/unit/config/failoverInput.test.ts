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
      confirmationWaitSeconds: 0,
      // The config's approval timeout (one hour), and the lock held for it and the failover's lease.
      approvalTimeoutSeconds: 3600,
      approvalLockLeaseSeconds: 3600 + 3 * 3600,
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
