import { PreconditionFailedError } from '../../../shared/errors.ts';
import { checkFailbackInput } from '../../../shared/failback/FailbackInput.ts';
import type { FailbackSteps } from '../../../shared/failback/FailbackSteps.ts';
import type { DatabaseStatus, Estate } from '../../../shared/ports/Estate.ts';
import { EXAMPLE_CONFIG as CONFIG, failbackStepsOver } from '../../support/failbackSteps.ts';

/** FailbackSteps over databases in the given states, keeping what it renamed. */
function steps(databases: Record<string, DatabaseStatus>, retired: string[]): FailbackSteps {
  const estate = {
    database: {
      describe: (_app: unknown, region: string) => Promise.resolve(databases[region]),
      retire: (_app: unknown, region: string, name: string) => {
        retired.push(`${region}:${name}`);
        return Promise.resolve();
      },
    },
  } as unknown as Estate;
  return failbackStepsOver(estate);
}

describe('PrepareReplica never renames the live writer', () => {
  // A move to us-east-1 that took us-west-2 (the heavier weight) for the source.
  const request = checkFailbackInput({ application: 'ai-gateway', targetRegion: 'us-east-1' }, CONFIG, {
    workflow: 'switchover',
    currentPrimary: 'us-west-2',
  });

  it("refuses to rename a writable us-east-1 that us-west-2's replica replicates from", async () => {
    const retired: string[] = [];
    const s = steps(
      {
        'us-east-1': { role: 'writer', available: true, sourceRegion: undefined },
        'us-west-2': { role: 'replica', available: true, sourceRegion: 'us-east-1' },
      },
      retired,
    );
    const refused = s.ensureReplica({ request, which: 'target', since: '2030-01-01T00:00:00Z' });
    await expect(refused).rejects.toThrow(PreconditionFailedError);
    await expect(refused).rejects.toThrow(
      "the database in us-east-1 is the live writer: us-west-2's replicates from it, so it is not renamed or rebuilt",
    );
    expect(retired).toEqual([]);
  });

  it("renames an old writer left from before a failover: us-west-2's database was promoted away from it", async () => {
    const retired: string[] = [];
    const s = steps(
      {
        'us-east-1': { role: 'standalone', available: true, sourceRegion: undefined },
        'us-west-2': { role: 'standalone', available: true, sourceRegion: undefined },
      },
      retired,
    );
    await s.ensureReplica({ request, which: 'target', since: '2030-01-01T00:00:00Z' });
    expect(retired).toEqual([expect.stringMatching(/^us-east-1:ai-gateway-db-use1-pre-switchover-\d{12}$/)]);
  });
});
