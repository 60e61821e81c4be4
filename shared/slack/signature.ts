import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's rule: a request whose timestamp is more than five minutes away, either way, is refused. */
export const SLACK_WINDOW_SECONDS = 300;

export type SignatureCheck =
  | { readonly ok: true; readonly skewSeconds: number }
  | {
      readonly ok: false;
      readonly reason:
        | 'missing-signature'
        | 'missing-timestamp'
        | 'bad-timestamp'
        | 'stale-timestamp'
        | 'future-timestamp'
        | 'bad-signature';
      readonly skewSeconds?: number;
    };

/** `v0=` and the hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` under the signing secret. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/**
 * Checks a Slack request as Slack documents it: the `X-Slack-Request-Timestamp` within five minutes
 * of `now` in either direction, then `X-Slack-Signature` against the HMAC of the raw body, compared
 * in constant time. `rawBody` is the body exactly as sent (decoded from base64 first if the
 * platform encoded it).
 */
export function verifySlackSignature(request: {
  readonly signingSecret: string;
  readonly rawBody: string;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  readonly now: Date;
}): SignatureCheck {
  const { timestamp, signature } = request;
  if (timestamp === undefined || timestamp === '') return { ok: false, reason: 'missing-timestamp' };
  if (signature === undefined || signature === '') return { ok: false, reason: 'missing-signature' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-timestamp' };
  const skewSeconds = request.now.getTime() / 1000 - Number(timestamp);
  if (skewSeconds > SLACK_WINDOW_SECONDS) return { ok: false, reason: 'stale-timestamp', skewSeconds };
  if (skewSeconds < -SLACK_WINDOW_SECONDS) return { ok: false, reason: 'future-timestamp', skewSeconds };
  const expected = Buffer.from(slackSignature(request.signingSecret, timestamp, request.rawBody));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature', skewSeconds };
  }
  return { ok: true, skewSeconds };
}
