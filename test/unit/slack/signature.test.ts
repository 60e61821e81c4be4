import { createHmac } from 'node:crypto';
import {
  SLACK_WINDOW_SECONDS,
  slackSignature,
  verifySlackSignature,
} from '../../../shared/slack/signature.ts';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = new Date('2026-11-22T06:00:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const BODY =
  'payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U0APPROVER%22%7D%7D';

/** A request as Slack would sign it `offset` seconds before NOW (negative: after). */
function signed(offsetSeconds = 0, body = BODY, secret = SECRET) {
  const timestamp = String(NOW_SECONDS - offsetSeconds);
  return {
    signingSecret: SECRET,
    rawBody: body,
    timestamp,
    signature: slackSignature(secret, timestamp, body),
    now: NOW,
  };
}

describe('slackSignature', () => {
  it('is v0= and the hex HMAC-SHA256 of v0:<timestamp>:<body>', () => {
    const expected = createHmac('sha256', SECRET).update(`v0:1531420618:${BODY}`).digest('hex');

    expect(slackSignature(SECRET, '1531420618', BODY)).toBe(`v0=${expected}`);
    expect(slackSignature(SECRET, '1531420618', BODY)).toMatch(/^v0=[0-9a-f]{64}$/);
  });

  it('matches Slack’s documented example', () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';

    expect(slackSignature(SECRET, '1531420618', body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });
});

describe('verifySlackSignature', () => {
  it('accepts a request signed now with the signing secret', () => {
    expect(verifySlackSignature(signed())).toEqual({ ok: true, skewSeconds: 0 });
  });

  it('reports the skew of an accepted request', () => {
    expect(verifySlackSignature(signed(42))).toEqual({ ok: true, skewSeconds: 42 });
    expect(verifySlackSignature(signed(-7))).toEqual({ ok: true, skewSeconds: -7 });
  });

  it('refuses a body changed after signing', () => {
    const request = signed();

    expect(verifySlackSignature({ ...request, rawBody: `${BODY}x` })).toEqual({
      ok: false,
      reason: 'bad-signature',
      skewSeconds: 0,
    });
  });

  it('refuses a body with one character changed', () => {
    const request = signed();
    const tampered = BODY.replace('U0APPROVER', 'U0ATTACKER');

    expect(verifySlackSignature({ ...request, rawBody: tampered })).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses a request signed with another secret', () => {
    expect(verifySlackSignature(signed(0, BODY, 'not-the-signing-secret'))).toEqual({
      ok: false,
      reason: 'bad-signature',
      skewSeconds: 0,
    });
  });

  it('refuses a signature replayed with a new timestamp', () => {
    const original = signed(600);

    expect(verifySlackSignature({ ...original, timestamp: String(NOW_SECONDS) })).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('accepts a timestamp exactly 300 s old and one exactly 300 s ahead', () => {
    expect(SLACK_WINDOW_SECONDS).toBe(300);
    expect(verifySlackSignature(signed(300))).toEqual({ ok: true, skewSeconds: 300 });
    expect(verifySlackSignature(signed(-300))).toEqual({ ok: true, skewSeconds: -300 });
  });

  it('refuses a timestamp 301 s old as stale, before looking at the signature', () => {
    expect(verifySlackSignature(signed(301))).toEqual({
      ok: false,
      reason: 'stale-timestamp',
      skewSeconds: 301,
    });
    expect(verifySlackSignature({ ...signed(301), signature: 'v0=garbage' })).toMatchObject({
      reason: 'stale-timestamp',
    });
  });

  it('refuses a timestamp 301 s ahead as from the future', () => {
    expect(verifySlackSignature(signed(-301))).toEqual({
      ok: false,
      reason: 'future-timestamp',
      skewSeconds: -301,
    });
  });

  it('counts the skew from the clock’s milliseconds', () => {
    const request = signed(300);
    // 300.5 s after the signature: outside the window.
    expect(verifySlackSignature({ ...request, now: new Date(NOW.getTime() + 500) })).toMatchObject({
      ok: false,
      reason: 'stale-timestamp',
    });
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
  ])('refuses a request whose timestamp header is %s', (_, timestamp) => {
    expect(verifySlackSignature({ ...signed(), timestamp })).toEqual({
      ok: false,
      reason: 'missing-timestamp',
    });
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
  ])('refuses a request whose signature header is %s', (_, signature) => {
    expect(verifySlackSignature({ ...signed(), signature })).toEqual({
      ok: false,
      reason: 'missing-signature',
    });
  });

  it('names the timestamp first when both headers are missing', () => {
    expect(verifySlackSignature({ ...signed(), timestamp: undefined, signature: undefined })).toEqual({
      ok: false,
      reason: 'missing-timestamp',
    });
  });

  it.each([
    ['letters', 'soon'],
    ['a negative number', '-1764000000'],
    ['a fraction', '1764000000.5'],
    ['a number with spaces', ' 1764000000'],
    ['an exponent', '1.764e9'],
    ['hexadecimal', '0x6923e5a0'],
    ['too many digits', '1234567890123'],
  ])('refuses a timestamp that is %s', (_, timestamp) => {
    const request = signed();
    // Signed over the odd timestamp, so only the timestamp check can refuse it.
    const signature = slackSignature(SECRET, timestamp, BODY);

    expect(verifySlackSignature({ ...request, timestamp, signature })).toEqual({
      ok: false,
      reason: 'bad-timestamp',
    });
  });

  it.each([
    ['shorter', (s: string) => s.slice(0, -1)],
    ['longer', (s: string) => `${s}0`],
    ['without its v0= prefix', (s: string) => s.slice(3)],
    ['much longer', (s: string) => s.repeat(4)],
  ])('refuses a signature that is %s than it should be, without throwing', (_, change) => {
    const request = signed();

    expect(verifySlackSignature({ ...request, signature: change(request.signature) })).toEqual({
      ok: false,
      reason: 'bad-signature',
      skewSeconds: 0,
    });
  });

  it('refuses a signature of the right length with a multi-byte character, without throwing', () => {
    const request = signed();
    // Same number of characters, more bytes: a byte-length mismatch, not a string-length one.
    const signature = `${request.signature.slice(0, -1)}é`;

    expect(verifySlackSignature({ ...request, signature })).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses an uppercase hex signature (Slack sends lowercase)', () => {
    const request = signed();

    expect(
      verifySlackSignature({ ...request, signature: `v0=${request.signature.slice(3).toUpperCase()}` }),
    ).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});
