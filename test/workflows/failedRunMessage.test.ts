import type { Report } from '../../local/report/Report.ts';
import {
  causeText,
  changesOf,
  failbackChangesOf,
  failbackFailureMessage,
  failureMessage,
} from '../../shared/failover/failureMessage.ts';
import { ledgerOf, rehearse } from '../support/scenario.ts';

/**
 * A failover that fails says, on Slack and in its ledger record, what it had changed before it
 * stopped, what it had not, and the next command: here RDS refuses the promotion for good after the
 * source was fenced (real ASL, on the AWS twin).
 */
describe('a failed failover says what it changed (real ASL, on the AWS twin)', () => {
  let report: Report;
  beforeAll(async () => {
    report = await rehearse({
      events: [
        { at: 0, fault: 'region-outage', region: 'us-east-1' },
        {
          at: 0,
          fault: 'api-error',
          service: 'rds',
          operation: 'PromoteReadReplica',
          error: 'InvalidDBInstanceState',
          permanent: true,
        },
      ],
      until: 900,
    });
  });

  it('ends FAILED and posts the change list in words, not the raw error document', () => {
    const [run] = report.executions.filter((e) => e.workflow === 'failover');
    expect(run?.status).toBe('FAILED');
    const message = report.slack.find((m) => m.text.includes('FAILED'));
    expect(message?.text.split('\n')).toEqual([
      expect.stringMatching(
        /^\*Lifeboat failover of ai-gateway to us-west-2 FAILED\* \(`auto-ai-gateway-us-east-1-[0-9TZ]+`\): PermanentServiceError: .*InvalidDBInstanceState/,
      ),
      '*Changed before it stopped:*',
      '• fenced the record of us-east-1, eu-west-1 (out of DNS answers)',
      '• began promoting the database in us-west-2 and scaling its workloads; either may have finished (a promotion cannot be undone)',
      '*Not changed:*',
      '• the Route 53 weights still on us-east-1',
      expect.stringMatching(/^\*Next:\* `lifeboat status --app ai-gateway` /),
    ]);
    expect(message?.text).not.toContain('errorType');
    // The end of the run replies in its incident thread and is shown in the channel too.
    const root = report.slack.find((m) => m.text.startsWith('Lifeboat is failing ai-gateway over'));
    expect(message?.thread).toEqual({ ts: root?.ts, broadcast: true });
    expect(report.violations).toEqual([]);
  });

  it('lists the same changes in its ledger record', () => {
    const [run] = report.executions.filter((e) => e.workflow === 'failover');
    expect(ledgerOf(report, run!.name)).toMatchObject({
      status: 'FAILED',
      details: {
        changes: {
          made: [
            'fenced the record of us-east-1, eu-west-1 (out of DNS answers)',
            expect.stringContaining('began promoting the database in us-west-2'),
          ],
          notMade: ['the Route 53 weights still on us-east-1'],
        },
      },
    });
  });
});

describe('failureMessage', () => {
  it('reads a Lambda error document for its message, and plain text as it is', () => {
    expect(
      causeText('{"errorType":"PermanentServiceError","errorMessage":"no such instance","trace":[]}'),
    ).toBe('no such instance');
    expect(causeText('The cause is plain text.')).toBe('The cause is plain text.');
    expect(causeText(undefined)).toBe('no cause given');
  });

  it('says nothing was changed for certain when the run failed before its fence held', () => {
    expect(changesOf({ request: { sourceRegion: 'us-east-1', targetRegion: 'us-west-2' } })).toEqual({
      made: [],
      notMade: [
        'no record fenced for certain (FenceSource had not finished; `lifeboat status` shows the fences)',
        'the database in us-west-2 not promoted, its workloads not scaled',
        'the Route 53 weights still on us-east-1',
      ],
    });
  });

  it('lists every change of a run that failed after its weight change, and the fences it could not vote', () => {
    const state = {
      request: { application: 'ai-gateway', sourceRegion: 'us-west-2', targetRegion: 'eu-west-1' },
      fence: { fenced: ['us-west-2'], unfenced: [], unreachable: ['us-east-1 (its vote region is down)'] },
      recovery: [{}, {}],
      dns: { changeId: 'C0123' },
      error: {
        Error: 'PreconditionFailedError',
        Cause: '{"errorMessage":"eu-west-1 fails its health check"}',
      },
    };
    expect(changesOf(state)).toEqual({
      made: [
        'fenced the record of us-west-2 (out of DNS answers)',
        'promoted the database in eu-west-1 (it takes writes) and scaled its workloads to active size',
        'moved the Route 53 weights to eu-west-1 (change C0123)',
      ],
      notMade: ['fences it could not vote: us-east-1 (its vote region is down)'],
    });
    expect(failureMessage(state, 'run-1').split('\n')[0]).toBe(
      '*Lifeboat failover of ai-gateway to eu-west-1 FAILED* (`run-1`): PreconditionFailedError: eu-west-1 fails its health check',
    );
  });

  it('says how far a failback got: after its writer switch began, a later start finishes it', () => {
    const state = {
      request: { application: 'ai-gateway', sourceRegion: 'us-west-2', targetRegion: 'us-east-1' },
      replica: {},
      deployments: {},
      unfence: {},
      step: { percent: 100 },
      fence: {},
      switch: { started: true },
      error: {
        Error: 'NotReadyError',
        Cause: '{"errorMessage":"us-east-1 is not writable after 30 minutes"}',
      },
    };
    expect(failbackChangesOf(state)).toEqual({
      made: [
        "made us-east-1's database a replica of us-west-2's",
        "scaled us-east-1's workloads to active size",
        "lifted the fence on us-east-1's record",
        'moved 100 % of the traffic to us-east-1',
        "fenced us-west-2's record for the writer switch",
        'began switching the writer to us-east-1 (a switch cannot be undone; start the failback again to finish it)',
      ],
      notMade: ["us-west-2's workloads still at active size"],
    });
    const message = failbackFailureMessage(state, 'failback-1').split('\n');
    expect(message[0]).toBe(
      '*Lifeboat failback of ai-gateway to us-east-1 FAILED* (`failback-1`): NotReadyError: us-east-1 is not writable after 30 minutes',
    );
    expect(message.at(-1)).toContain('resumes from where this run stopped');
  });

  it('names the replicas a failback renamed to rebuild them from the new writer, when it fails after', () => {
    const changes = failbackChangesOf({
      request: { application: 'ai-gateway', sourceRegion: 'us-west-2', targetRegion: 'us-east-1' },
      switch: { started: true },
      standby: {},
      replicas: {
        followers: [
          { region: 'us-west-2' },
          { region: 'eu-west-1', renamedTo: 'ai-gateway-db-euw1-pre-failback-203001010230' },
        ],
      },
    });
    expect(changes.made).toContain(
      "renamed eu-west-1's replica of the old writer to ai-gateway-db-euw1-pre-failback-203001010230 (kept) to build a replica of us-east-1 in its place",
    );
    expect(changes.made.filter((m) => m.startsWith('renamed'))).toHaveLength(1);
  });
});
