import { VIRTUAL_EPOCH } from '../../local/clock/VirtualClock.ts';
import type { CallbackRequest } from '../../shared/slack/SlackCallback.ts';
import { APPROVE_ACTION, REJECT_ACTION } from '../../shared/slack/messages.ts';
import { ledgerOf } from '../support/scenario.ts';
import { reliabilityFigures } from './support/figures.ts';
import {
  APPROVAL_TIMEOUT_SECONDS,
  press,
  rehearseSlackAbuse,
  type PressTarget,
  type SlackAbuseRun,
  type SlackShot,
} from './support/slackAbuse.ts';

/**
 * Slack abuse: while a failback (or a failover past its lag budget) waits for Approve or Reject on
 * Slack, requests are sent to the real callback endpoint at chosen virtual times: forged, altered,
 * stale, future, replayed, from the wrong channel or the wrong person, double clicks, two approvers
 * at once, and a valid press too late. Each runs the real ASL over the simulated world.
 */

const figures = reliabilityFigures(import.meta.url);

const APPROVER = 'U0APPROVER';
const ONCALL = 'U0ONCALL01';
/** A member of the workspace who can press the buttons but is not on slack.approvers. */
const STRANGER = 'U0STRANGER';

/** All the endpoint says besides the status: a word for it, never why. */
const BARE_BODY: Readonly<Record<number, string>> = { 200: '', 401: 'invalid request', 403: 'not allowed' };

type Choice = 'approve' | 'reject';

interface Expected {
  /** The status each request must be answered with, by label. */
  readonly answers: Readonly<Record<string, number>>;
  /** The one request whose decision counts, if any. */
  readonly decision?: { readonly shot: string; readonly user: string; readonly choice: Choice };
  /** How the run ends: as the decision says, timed out, or still waiting for a decision. */
  readonly end: 'SUCCEEDED' | 'REJECTED' | 'TIMED_OUT' | 'WAITING';
}

const APPROVAL_STATUS = {
  SUCCEEDED: 'APPROVED',
  REJECTED: 'REJECTED',
  TIMED_OUT: 'TIMED_OUT',
  WAITING: 'PENDING',
} as const;

/**
 * Exactly the legitimate decision counted, once: every request got its bare status; one counted
 * verdict and one SendTask* (or none); no other request made a mutating call or a delivery; the
 * approval record names the one decider; the run ended as the decision says; nothing moved before it.
 */
function expectOnlyLegitimate(run: SlackAbuseRun, expected: Expected): void {
  const { report, execution, shots, approval } = run;
  const { decision } = expected;
  expect(report.violations).toEqual([]);
  expect(Object.fromEntries(shots.map((s) => [s.label, s.statusCode]))).toEqual(expected.answers);
  for (const shot of shots) {
    // A refusal's reason (the log's) must not reach the sender: only the status's word.
    expect({ shot: shot.label, body: shot.body, headers: shot.headers }).toEqual({
      shot: shot.label,
      body: BARE_BODY[shot.statusCode],
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }

  expect(shots.filter((s) => s.verdict.counted).map((s) => s.label)).toEqual(
    decision === undefined ? [] : [decision.shot],
  );
  expect(run.deliveries.map(({ kind, shot, accepted }) => ({ kind, shot, accepted }))).toEqual(
    decision === undefined
      ? []
      : [
          {
            kind: decision.choice === 'approve' ? 'success' : 'failure',
            shot: decision.shot,
            accepted: true,
          },
        ],
  );
  for (const shot of shots.filter((s) => s.label !== decision?.shot)) {
    // Its own world calls and Step Functions calls: the callback's, not the resumed workflow's.
    const mutating = shot.calls.filter((c) => c.mutating).length + shot.deliveries.length;
    figures.rejected(mutating);
    expect({ shot: shot.label, mutating }).toEqual({ shot: shot.label, mutating: 0 });
    // Nobody else ever shows as the decider, not even for a moment.
    expect({ shot: shot.label, decidedBy: shot.approvalAfter?.decidedBy }).toEqual({
      shot: shot.label,
      decidedBy: shot.approvalAfter?.status === 'PENDING' ? undefined : decision?.user,
    });
  }
  expect(approval).toMatchObject({ id: run.approvalId, status: APPROVAL_STATUS[expected.end] });
  expect(approval?.decidedBy).toBe(decision?.user);

  const record = ledgerOf(report, execution.name) as
    { status?: string; reason?: string; details?: { approval?: { by?: string } } } | undefined;
  switch (expected.end) {
    case 'SUCCEEDED':
      expect(execution.status).toBe('SUCCEEDED');
      expect(record?.status).toBe('SUCCEEDED');
      // The failback's record names its approver (the failover's names none: the approval does).
      if (execution.workflow === 'failback') expect(record?.details?.approval?.by).toBe(decision?.user);
      break;
    case 'REJECTED':
      expect(execution.status).toBe('ABORTED');
      expect(record).toMatchObject({
        status: 'REJECTED',
        reason: expect.stringContaining(`rejected by ${String(decision?.user)}`),
      });
      break;
    case 'TIMED_OUT':
      expect(execution.status).toBe('ABORTED');
      expect(record?.status).toBe('TIMED_OUT');
      break;
    case 'WAITING':
      expect(execution.status).toBe('RUNNING');
      expect(execution.states.at(-1)).toMatchObject({ name: 'RequestApproval', status: 'RUNNING' });
      break;
  }

  // The workflow's own changes to the estate after it asked: only after an Approve that counted.
  const moved = run.calls.filter(
    (c) => c.mutating && c.workflow === execution.workflow && c.at >= run.askedAt,
  );
  const decidedAt = shots.find((s) => s.label === decision?.shot)?.at;
  if (expected.end === 'SUCCEEDED') {
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.filter((c) => c.at < (decidedAt ?? Number.POSITIVE_INFINITY))).toEqual([]);
  } else {
    expect(moved).toEqual([]);
  }
  figures.count(report);
}

const approveBy = (user: string) => (t: PressTarget) => press(t, { user, choice: 'approve' });
const rejectBy = (user: string) => (t: PressTarget) => press(t, { user, choice: 'reject' });

function withoutHeaders(request: CallbackRequest, ...names: string[]): CallbackRequest {
  return {
    ...request,
    headers: Object.fromEntries(Object.entries(request.headers ?? {}).filter(([n]) => !names.includes(n))),
  };
}

/** A request whose body was changed after it was signed (its headers as signed). */
function altered(request: CallbackRequest, change: (body: string) => string): CallbackRequest {
  const body = change(request.body ?? '');
  if (body === request.body) throw new Error('the alteration changed nothing');
  return { ...request, body };
}

/** Two approvers press at the same instant: U0APPROVER Approve, U0ONCALL01 Reject. */
const AT_ONCE: readonly SlackShot[] = [
  { label: 'approve', after: 30, request: approveBy(APPROVER) },
  { label: 'reject', after: 30, request: rejectBy(ONCALL) },
];

/** Of two presses at once, exactly one counts, and everything follows from that one. */
function expectOneOfTwoCounted(run: SlackAbuseRun): void {
  const counted = run.shots.filter((s) => s.verdict.counted);
  expect(counted).toHaveLength(1);
  const approved = counted[0]?.label === 'approve';
  expectOnlyLegitimate(run, {
    answers: { approve: 200, reject: 200 },
    decision: approved
      ? { shot: 'approve', user: APPROVER, choice: 'approve' }
      : { shot: 'reject', user: ONCALL, choice: 'reject' },
    end: approved ? 'SUCCEEDED' : 'REJECTED',
  });
}

/** A failback waits ~1246 s in; an approved one has finished ~900 s after the Approve. */
const WAIT = 200;
const TO_THE_END = 1100;

describe('Slack abuse while the failback waits for approval (real ASL, local runtime)', () => {
  it('forged signature: an Approve signed with another secret is refused 401; the Reject that follows counts', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      runFor: WAIT,
      shots: [
        {
          label: 'forged',
          after: 20,
          request: (t) => press(t, { user: APPROVER, choice: 'approve', secret: 'not-the-signing-secret' }),
        },
        { label: 'reject', after: 120, request: rejectBy(ONCALL) },
      ],
    });
    expectOnlyLegitimate(run, {
      answers: { forged: 401, reject: 200 },
      decision: { shot: 'reject', user: ONCALL, choice: 'reject' },
      end: 'REJECTED',
    });
    expect(run.shots.find((s) => s.label === 'forged')?.verdict.reason).toBe('bad-signature');
  });

  it('body altered after signing: a Reject turned into an Approve, or padded, is refused 401; the original Reject counts', async () => {
    let original: CallbackRequest | undefined;
    const signed = (t: PressTarget): CallbackRequest =>
      (original ??= press(t, { user: ONCALL, choice: 'reject' }));
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      runFor: WAIT,
      shots: [
        {
          label: 'turned-into-approve',
          after: 20,
          request: (t) => altered(signed(t), (b) => b.replace(REJECT_ACTION, APPROVE_ACTION)),
        },
        { label: 'padded', after: 21, request: (t) => altered(signed(t), (b) => `${b}&approve=1`) },
        { label: 'original', after: 25, request: signed },
      ],
    });
    expectOnlyLegitimate(run, {
      answers: { 'turned-into-approve': 401, padded: 401, original: 200 },
      decision: { shot: 'original', user: ONCALL, choice: 'reject' },
      end: 'REJECTED',
    });
  });

  it('missing signature headers: without the signature, the timestamp or both, refused 401; the run still waits', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      runFor: WAIT,
      shots: [
        {
          label: 'no-signature',
          after: 20,
          request: (t) => withoutHeaders(approveBy(APPROVER)(t), 'x-slack-signature'),
        },
        {
          label: 'no-timestamp',
          after: 30,
          request: (t) => withoutHeaders(approveBy(APPROVER)(t), 'x-slack-request-timestamp'),
        },
        {
          label: 'neither',
          after: 40,
          request: (t) =>
            withoutHeaders(approveBy(APPROVER)(t), 'x-slack-signature', 'x-slack-request-timestamp'),
        },
      ],
    });
    expectOnlyLegitimate(run, {
      answers: { 'no-signature': 401, 'no-timestamp': 401, neither: 401 },
      end: 'WAITING',
    });
  });

  it('stale timestamp: an Approve correctly signed 301 s or a day ago is refused 401; the Approve that follows counts', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      runFor: TO_THE_END,
      shots: [
        {
          label: 'stale',
          after: 20,
          request: (t) => press(t, { user: APPROVER, choice: 'approve', timestamp: t.nowSeconds - 301 }),
        },
        {
          label: 'a-day-old',
          after: 30,
          request: (t) => press(t, { user: APPROVER, choice: 'approve', timestamp: t.nowSeconds - 86_400 }),
        },
        { label: 'approve', after: 120, request: approveBy(APPROVER) },
      ],
    });
    expectOnlyLegitimate(run, {
      answers: { stale: 401, 'a-day-old': 401, approve: 200 },
      decision: { shot: 'approve', user: APPROVER, choice: 'approve' },
      end: 'SUCCEEDED',
    });
    expect(run.shots.find((s) => s.label === 'stale')?.verdict.reason).toBe('stale-timestamp');
  });

  it('future timestamp: an Approve correctly signed for 301 s or a day ahead is refused 401; the run still waits', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      runFor: WAIT,
      shots: [
        {
          label: 'future',
          after: 20,
          request: (t) => press(t, { user: APPROVER, choice: 'approve', timestamp: t.nowSeconds + 301 }),
        },
        {
          label: 'a-day-ahead',
          after: 30,
          request: (t) => press(t, { user: APPROVER, choice: 'approve', timestamp: t.nowSeconds + 86_400 }),
        },
      ],
    });
    expectOnlyLegitimate(run, { answers: { future: 401, 'a-day-ahead': 401 }, end: 'WAITING' });
    expect(run.shots.find((s) => s.label === 'future')?.verdict.reason).toBe('future-timestamp');
  });

  it('replay: the same signed Approve sent again after it counted changes nothing (200 in its window, 401 after)', async () => {
    const replay = (_t: PressTarget, sent: ReadonlyMap<string, CallbackRequest>): CallbackRequest => {
      const request = sent.get('approve');
      if (request === undefined) throw new Error('nothing to replay');
      return request;
    };
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      runFor: TO_THE_END,
      shots: [
        { label: 'approve', after: 30, request: approveBy(APPROVER) },
        { label: 'replay-in-window', after: 90, request: replay },
        { label: 'replay-after-window', after: 30 + 301, request: replay },
      ],
    });
    expectOnlyLegitimate(run, {
      answers: { approve: 200, 'replay-in-window': 200, 'replay-after-window': 401 },
      decision: { shot: 'approve', user: APPROVER, choice: 'approve' },
      end: 'SUCCEEDED',
    });
    expect(run.shots.find((s) => s.label === 'replay-in-window')?.verdict.outcome).toBe('already-decided');
  });

  it('wrong channel: a correctly signed Approve from another channel is refused 403; the Reject that follows counts', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      runFor: WAIT,
      shots: [
        {
          label: 'elsewhere',
          after: 20,
          request: (t) => press(t, { user: APPROVER, choice: 'approve', channel: 'C0ELSEWHERE' }),
        },
        { label: 'reject', after: 120, request: rejectBy(APPROVER) },
      ],
    });
    expectOnlyLegitimate(run, {
      answers: { elsewhere: 403, reject: 200 },
      decision: { shot: 'reject', user: APPROVER, choice: 'reject' },
      end: 'REJECTED',
    });
  });

  it('unauthorised user: Approve and Reject from someone not on slack.approvers are refused 403; the run still waits', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      runFor: WAIT,
      shots: [
        { label: 'stranger-approves', after: 20, request: approveBy(STRANGER) },
        { label: 'stranger-rejects', after: 30, request: rejectBy(STRANGER) },
      ],
    });
    expectOnlyLegitimate(run, {
      answers: { 'stranger-approves': 403, 'stranger-rejects': 403 },
      end: 'WAITING',
    });
  });

  it('double click: the same approver presses Approve twice at once; it counts once', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      runFor: TO_THE_END,
      shots: [
        { label: 'first', after: 30, request: approveBy(APPROVER) },
        { label: 'second', after: 30, request: approveBy(APPROVER) },
      ],
    });
    expectOnlyLegitimate(run, {
      answers: { first: 200, second: 200 },
      decision: { shot: 'first', user: APPROVER, choice: 'approve' },
      end: 'SUCCEEDED',
    });
  });

  it('double click: Approve, then Reject a second later by the same approver; the Approve stands', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      runFor: TO_THE_END,
      shots: [
        { label: 'approve', after: 30, request: approveBy(APPROVER) },
        { label: 'reject', after: 31, request: rejectBy(APPROVER) },
      ],
    });
    expectOnlyLegitimate(run, {
      answers: { approve: 200, reject: 200 },
      decision: { shot: 'approve', user: APPROVER, choice: 'approve' },
      end: 'SUCCEEDED',
    });
  });

  it('too late: a valid Approve for an approval that already timed out counts for nothing', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      runFor: 1000,
      shots: [{ label: 'late', after: 60, from: 'timeout', request: approveBy(APPROVER) }],
    });
    // The premise: the run had ended TIMED_OUT before the press.
    expect(run.execution.stoppedAt).toBeLessThan(run.shots[0]!.at);
    expectOnlyLegitimate(run, { answers: { late: 200 }, end: 'TIMED_OUT' });
    expect(run.shots[0]?.verdict.outcome).toBe('closed');
  });

  it('two approvers at once, Approve and Reject: exactly one decision counts, and the run ends as it says', async () => {
    const run = await rehearseSlackAbuse({ workflow: 'failback', runFor: TO_THE_END, shots: AT_ONCE });
    expectOneOfTwoCounted(run);
  });
});

describe('Slack abuse while the failover waits past its lag budget (real ASL, local runtime)', () => {
  it('a forged, a stranger’s and another channel’s Approve promote nothing; the Reject that follows counts', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failover',
      runFor: WAIT,
      shots: [
        {
          label: 'forged',
          after: 10,
          request: (t) => press(t, { user: APPROVER, choice: 'approve', secret: 'not-the-signing-secret' }),
        },
        { label: 'stranger', after: 20, request: approveBy(STRANGER) },
        {
          label: 'elsewhere',
          after: 30,
          request: (t) => press(t, { user: APPROVER, choice: 'approve', channel: 'C0ELSEWHERE' }),
        },
        { label: 'reject', after: 60, request: rejectBy(ONCALL) },
      ],
    });
    expectOnlyLegitimate(run, {
      answers: { forged: 401, stranger: 403, elsewhere: 403, reject: 200 },
      decision: { shot: 'reject', user: ONCALL, choice: 'reject' },
      end: 'REJECTED',
    });
  });

  it('two approvers at once, Approve and Reject: exactly one decision counts, and the run ends as it says', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failover',
      runFor: 1000,
      // Sent the other way round: whichever is first counts.
      shots: [...AT_ONCE].reverse(),
    });
    expectOneOfTwoCounted(run);
  });
});

describe('the approval deadline against the waiting task (real ASL, local runtime)', () => {
  it('a valid Approve a moment after the task timed out, before the approval is closed, counts for nothing', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failover',
      runFor: 700,
      shots: [{ label: 'late', after: 0.05, from: 'timeout', request: approveBy(APPROVER) }],
    });
    // The premise: the task had stopped waiting (States.Timeout) when the press came.
    const asked = run.execution.states.find((s) => s.name === 'RequestApproval');
    expect(asked).toMatchObject({ status: 'CAUGHT', error: 'States.Timeout' });
    expect(asked?.exitedAt).toBeLessThan(run.shots[0]!.at);
    expectOnlyLegitimate(run, { answers: { late: 200 }, end: 'TIMED_OUT' });
  });

  it('after Slack was down when the failback asked, an Approve within the time its message states counts', async () => {
    const run = await rehearseSlackAbuse({
      workflow: 'failback',
      // Slack refuses the question for six minutes; the approval step retries every minute.
      events: [
        { at: 1200, fault: 'slack-down' },
        { at: 1560, recover: 'slack-down' },
      ],
      askBy: 1700,
      // The failback's end includes making eu-west-1 follow the writer (FollowWriter).
      runFor: 2200,
      shots: [{ label: 'approve', after: 700, request: approveBy(APPROVER) }],
    });
    // The premise: the press came later than a deadline counted from the first, refused attempt...
    const pressedAt = run.shots[0]!.at;
    const firstAsk = run.execution.states.find((s) => s.name === 'RequestApproval')!.enteredAt;
    expect(pressedAt).toBeGreaterThan(firstAsk + APPROVAL_TIMEOUT_SECONDS);
    // ...and before the deadline its message states, which is the one the approval keeps.
    const deadline = run.approval?.expiresAt ?? '';
    expect(run.question).toContain(`open until ${deadline}`);
    expect(pressedAt).toBeLessThan((Date.parse(deadline) - VIRTUAL_EPOCH) / 1000);
    expectOnlyLegitimate(run, {
      answers: { approve: 200 },
      decision: { shot: 'approve', user: APPROVER, choice: 'approve' },
      end: 'SUCCEEDED',
    });
  });
});
