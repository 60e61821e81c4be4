import type { DetectionSignal } from '../../../shared/config/naming.ts';
import { PermanentServiceError, TransientServiceError } from '../../../shared/errors.ts';
import { signalsDownOrRetry, type SignalState } from '../../../shared/failover/regionHealth.ts';

const SUSPECT = 'eu-west-1';

function signal(alarmName: string, alarmRegion: string): DetectionSignal {
  return { alarmName, alarmRegion, application: 'app', region: SUSPECT, kind: 'probe' };
}

const r53 = signal('r53', 'us-east-1');
const probe = signal('probe-from-eu-central-1', 'eu-central-1');
const own = signal('own-region', SUSPECT);

describe('signalsDownOrRetry', () => {
  it('returns the signals in ALARM when they reach the quorum, whatever else failed', () => {
    const states: SignalState[] = [
      { signal: r53, state: 'ALARM' },
      { signal: probe, state: 'ALARM' },
      { signal: own, state: 'unreachable', failure: new TransientServiceError('503') },
    ];
    expect(signalsDownOrRetry(states, SUSPECT, 2).map((s) => s.signal.alarmName)).toEqual([
      'r53',
      'probe-from-eu-central-1',
      'own-region',
    ]);
  });

  it('counts an unreachable alarm in the suspect region as down, without retrying', () => {
    const states: SignalState[] = [
      { signal: r53, state: 'ALARM' },
      { signal: own, state: 'unreachable', failure: new TransientServiceError('503') },
    ];
    expect(signalsDownOrRetry(states, SUSPECT, 2)).toHaveLength(2);
  });

  it('reads again when a transient failure elsewhere is all that stands between the signals and the quorum', () => {
    const states: SignalState[] = [
      { signal: r53, state: 'ALARM' },
      { signal: probe, state: 'unreachable', failure: new TransientServiceError('InternalError: 500') },
    ];
    expect(() => signalsDownOrRetry(states, SUSPECT, 2)).toThrow(TransientServiceError);
    expect(() => signalsDownOrRetry(states, SUSPECT, 2)).toThrow(
      /1 signals for eu-west-1 in ALARM \(quorum 2\) and 1 could not be read: probe-from-eu-central-1 in eu-central-1 \(InternalError: 500\); reading again/,
    );
  });

  it('does not retry a permanent failure: the quorum is simply not met', () => {
    const states: SignalState[] = [
      { signal: r53, state: 'ALARM' },
      { signal: probe, state: 'unreachable', failure: new PermanentServiceError('AccessDenied') },
    ];
    expect(signalsDownOrRetry(states, SUSPECT, 2)).toHaveLength(1);
  });

  it('does not retry when even the unread signals could not reach the quorum', () => {
    const states: SignalState[] = [
      { signal: r53, state: 'OK' },
      { signal: probe, state: 'unreachable', failure: new TransientServiceError('timeout') },
    ];
    expect(signalsDownOrRetry(states, SUSPECT, 2)).toEqual([]);
  });
});
