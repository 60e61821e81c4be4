import { checkFailbackInput } from '../../../shared/failback/FailbackInput.ts';
import type { FailbackSteps } from '../../../shared/failback/FailbackSteps.ts';
import type { Estate } from '../../../shared/ports/Estate.ts';
import { EXAMPLE_CONFIG as CONFIG, failbackStepsOver } from '../../support/failbackSteps.ts';

const REQUEST = checkFailbackInput({ application: 'ai-gateway', targetRegion: 'us-east-1' }, CONFIG, {
  currentPrimary: 'us-west-2',
});

function steps(targetHealth: 'healthy' | 'unhealthy', writes: string[]): FailbackSteps {
  const estate = {
    dns: {
      setWeights: (_: unknown, weights: Record<string, number>) => {
        writes.push(JSON.stringify(weights));
        return Promise.resolve('C1');
      },
    },
    health: { getStatus: () => Promise.resolve(targetHealth) },
    telemetry: { weights: () => Promise.resolve() },
  } as unknown as Estate;
  return failbackStepsOver(estate);
}

describe("the failback's ShiftStep", () => {
  it('raises the returning region step by step while its health check passes', async () => {
    const writes: string[] = [];
    const s = steps('healthy', writes);
    await s.shiftStep({ request: REQUEST, index: 0, executionName: 'x' });
    await s.shiftStep({ request: REQUEST, index: 1, executionName: 'x' });
    expect(writes).toEqual(['{"us-east-1":10,"us-west-2":90}', '{"us-east-1":25,"us-west-2":75}']);
  });

  it('gives no more traffic to a returning region whose health check fails since the preflight', async () => {
    const writes: string[] = [];
    const s = steps('unhealthy', writes);
    // The first step stands on the preflight's check.
    await s.shiftStep({ request: REQUEST, index: 0, executionName: 'x' });
    await expect(s.shiftStep({ request: REQUEST, index: 1, executionName: 'x' })).rejects.toThrow(
      'us-east-1 fails its health check (route53); the failback stops at 10 % rather than raise it to 25 %',
    );
    expect(writes).toEqual(['{"us-east-1":10,"us-west-2":90}']);
  });
});
