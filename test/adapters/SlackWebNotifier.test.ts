import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import {
  ErrorCode,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import { classifyError, ThrottledError, TransientServiceError } from '../../shared/errors.ts';
import { SlackWebNotifier } from '../../shared/slack/SlackWebNotifier.ts';

const CHANNEL = 'C0LIFEBOAT1';
const TOKEN = 'xoxb-1111-2222-abcdefghijklmnop';

const BLOCKS = [
  { type: 'header', text: { type: 'plain_text', text: 'Fail ai-gateway back to us-east-1?' } },
  {
    type: 'actions',
    block_id: 'lifeboat_abc123def4',
    elements: [
      {
        type: 'button',
        action_id: 'lifeboat_approve',
        value: 'abc123def4',
        text: { type: 'plain_text', text: 'Approve' },
      },
    ],
  },
];

interface Received {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Responder = (request: Received, response: ServerResponse) => void;

function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

/** A responder that answers with JSON. */
function reply(status: number, body: unknown, headers: Record<string, string> = {}): Responder {
  return (_, response) => {
    json(response, status, body, headers);
  };
}

/** A stand-in for slack.com/api on 127.0.0.1: records each request and answers with the next responder. */
class FakeSlack {
  readonly received: Received[] = [];
  readonly #responders: Responder[] = [];
  readonly #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received: Received = {
          method: request.method,
          path: request.url,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.received.push(received);
        const responder = this.#responders.shift();
        if (responder === undefined) json(response, 500, { ok: false, error: 'no_responder_queued' });
        else responder(received, response);
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.listen(0, '127.0.0.1', resolve);
    });
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/api/`;
  }

  answer(...responders: Responder[]): void {
    this.#responders.push(...responders);
  }

  reset(): void {
    this.received.length = 0;
    this.#responders.length = 0;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => {
      this.#server.close((error) => {
        if (error === undefined) resolve();
        else reject(error);
      });
    });
  }
}

function form(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

const slack = new FakeSlack();

beforeAll(async () => {
  await slack.start();
});

afterEach(() => {
  slack.reset();
});

afterAll(async () => {
  await slack.stop();
});

function notifier(
  token: () => Promise<string> = () => Promise.resolve(TOKEN),
  timeoutMs?: number,
): SlackWebNotifier {
  return new SlackWebNotifier({
    token,
    channel: CHANNEL,
    slackApiUrl: slack.url,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

/** The error a promise rejects with (for assertions on its fields). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('SlackWebNotifier', () => {
  describe('post', () => {
    it('sends chat.postMessage with the channel, the text and the blocks as JSON, with the bot token, and returns the ts', async () => {
      slack.answer(reply(200, { ok: true, channel: CHANNEL, ts: '1764000000.000100' }));

      await expect(notifier().post('Fail ai-gateway back?', BLOCKS)).resolves.toBe('1764000000.000100');

      expect(slack.received).toHaveLength(1);
      const [request] = slack.received;
      expect(request!.method).toBe('POST');
      expect(request!.path).toBe('/api/chat.postMessage');
      expect(request!.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(form(request!.body)).toEqual({
        channel: CHANNEL,
        text: 'Fail ai-gateway back?',
        blocks: JSON.stringify(BLOCKS),
      });
    });

    it('replies in a thread with thread_ts, and shows the reply in the channel with reply_broadcast', async () => {
      slack.answer(reply(200, { ok: true, channel: CHANNEL, ts: '1764000000.000300' }));
      slack.answer(reply(200, { ok: true, channel: CHANNEL, ts: '1764000000.000400' }));

      const root = '1764000000.000100';
      await expect(notifier().post('Fenced us-east-1.', undefined, { ts: root })).resolves.toBe(
        '1764000000.000300',
      );
      await notifier().post('Service restored.', undefined, { ts: root, broadcast: true });

      expect(slack.received.map((r) => form(r.body))).toEqual([
        { channel: CHANNEL, text: 'Fenced us-east-1.', thread_ts: root, reply_broadcast: 'false' },
        { channel: CHANNEL, text: 'Service restored.', thread_ts: root, reply_broadcast: 'true' },
      ]);
    });

    it('sends no blocks field when given no blocks', async () => {
      slack.answer(reply(200, { ok: true, channel: CHANNEL, ts: '1764000000.000200' }));

      await expect(notifier().post('Failover of ai-gateway finished.')).resolves.toBe('1764000000.000200');

      expect(form(slack.received[0]!.body)).toEqual({
        channel: CHANNEL,
        text: 'Failover of ai-gateway finished.',
      });
    });

    it('fails when Slack answers ok without a ts', async () => {
      slack.answer(reply(200, { ok: true, channel: CHANNEL }));

      await expect(notifier().post('text')).rejects.toThrow(
        `Slack chat.postMessage to ${CHANNEL} answered ok without the message's ts`,
      );
    });

    it('turns an ok:false answer into a platform error carrying Slack’s reason, without retrying it', async () => {
      slack.answer(reply(200, { ok: false, error: 'channel_not_found' }));

      const error = await rejection(notifier().post('text', BLOCKS));

      expect(error).toBeInstanceOf(WebAPIPlatformError);
      expect((error as WebAPIPlatformError).code).toBe(ErrorCode.PlatformError);
      expect((error as WebAPIPlatformError).data.error).toBe('channel_not_found');
      expect(slack.received).toHaveLength(1);
    });

    it('rejects a 429 at once with its Retry-After, without waiting it out or retrying', async () => {
      // An hour: if the client waited for it, the test would time out.
      slack.answer(reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '3600' }));

      const error = await rejection(notifier().post('text', BLOCKS));

      expect(error).toBeInstanceOf(WebAPIRateLimitedError);
      expect((error as WebAPIRateLimitedError).code).toBe(ErrorCode.RateLimitedError);
      expect((error as WebAPIRateLimitedError).retryAfter).toBe(3600);
      expect(slack.received).toHaveLength(1);
    });

    it('retries a 5xx once, then succeeds', async () => {
      slack.answer(
        reply(503, { ok: false, error: 'service_unavailable' }),
        reply(200, { ok: true, channel: CHANNEL, ts: '1764000000.000300' }),
      );

      await expect(notifier().post('text', BLOCKS)).resolves.toBe('1764000000.000300');

      expect(slack.received).toHaveLength(2);
      expect(form(slack.received[1]!.body)).toEqual(form(slack.received[0]!.body));
    });

    it('gives up after one retry of a 5xx with an HTTP error', async () => {
      slack.answer(
        reply(503, { ok: false }),
        reply(503, { ok: false }),
        reply(200, { ok: true, channel: CHANNEL, ts: 'never-reached' }),
      );

      const error = await rejection(notifier().post('text'));

      expect(error).toBeInstanceOf(WebAPIHTTPError);
      expect((error as WebAPIHTTPError).statusCode).toBe(503);
      expect(slack.received).toHaveLength(2);
    });

    it('gives up with a request error when Slack does not answer within the timeout', async () => {
      // Never answered: the request hangs until the client's deadline.
      slack.answer(
        () => undefined,
        () => undefined,
      );

      const error = await rejection(notifier(undefined, 100).post('text'));

      expect(error).toBeInstanceOf(WebAPIRequestError);
      expect((error as WebAPIRequestError).code).toBe(ErrorCode.RequestError);
      expect(slack.received).toHaveLength(2);
    });

    it('fails with a request error when nothing listens at the URL', async () => {
      const closed = new FakeSlack();
      await closed.start();
      await closed.stop();
      const unreachable = new SlackWebNotifier({
        token: () => Promise.resolve(TOKEN),
        channel: CHANNEL,
        slackApiUrl: closed.url,
      });

      const error = await rejection(unreachable.post('text'));

      expect(error).toBeInstanceOf(WebAPIRequestError);
      expect((error as WebAPIRequestError).code).toBe(ErrorCode.RequestError);
    });
  });

  describe('update', () => {
    it('sends chat.update with the channel, the ts, the text and the blocks', async () => {
      slack.answer(reply(200, { ok: true, channel: CHANNEL, ts: '1764000000.000100' }));

      await expect(
        notifier().update('1764000000.000100', 'Approved by <@U0APPROVER>', BLOCKS),
      ).resolves.toBeUndefined();

      expect(slack.received).toHaveLength(1);
      const [request] = slack.received;
      expect(request!.path).toBe('/api/chat.update');
      expect(request!.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(form(request!.body)).toEqual({
        channel: CHANNEL,
        ts: '1764000000.000100',
        text: 'Approved by <@U0APPROVER>',
        blocks: JSON.stringify(BLOCKS),
      });
    });

    it('turns message_not_found into a platform error', async () => {
      slack.answer(reply(200, { ok: false, error: 'message_not_found' }));

      const error = await rejection(notifier().update('1764000000.000999', 'text'));

      expect(error).toBeInstanceOf(WebAPIPlatformError);
      expect((error as WebAPIPlatformError).data.error).toBe('message_not_found');
    });
  });

  describe('postEphemeral', () => {
    it('sends chat.postEphemeral with the channel, the user and the text', async () => {
      slack.answer(reply(200, { ok: true, message_ts: '1764000000.000500' }));

      await expect(notifier().postEphemeral('U0APPROVER', 'This offer is expired')).resolves.toBeUndefined();

      expect(slack.received).toHaveLength(1);
      const [request] = slack.received;
      expect(request!.path).toBe('/api/chat.postEphemeral');
      expect(request!.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(form(request!.body)).toEqual({
        channel: CHANNEL,
        user: 'U0APPROVER',
        text: 'This offer is expired',
      });
    });

    it('turns user_not_in_channel into a platform error', async () => {
      slack.answer(reply(200, { ok: false, error: 'user_not_in_channel' }));

      const error = await rejection(notifier().postEphemeral('U0STRANGER', 'text'));

      expect(error).toBeInstanceOf(WebAPIPlatformError);
      expect((error as WebAPIPlatformError).data.error).toBe('user_not_in_channel');
    });
  });

  describe('the token', () => {
    it('is read when a message is sent, not when the notifier is built', async () => {
      const token = jest.fn<() => Promise<string>>(() => Promise.resolve(TOKEN));
      const subject = notifier(token);
      expect(token).not.toHaveBeenCalled();

      slack.answer(reply(200, { ok: true, channel: CHANNEL, ts: '1.1' }));
      await subject.post('text');

      expect(token).toHaveBeenCalledTimes(1);
    });

    it('follows a rotation: the next call carries the new token', async () => {
      const tokens = ['xoxb-old', 'xoxb-old', 'xoxb-new'];
      const subject = notifier(() => Promise.resolve(tokens.shift() ?? 'xoxb-new'));
      slack.answer(
        reply(200, { ok: true, channel: CHANNEL, ts: '1.1' }),
        reply(200, { ok: true, channel: CHANNEL, ts: '1.1' }),
        reply(200, { ok: true, channel: CHANNEL, ts: '1.1' }),
      );

      await subject.post('one');
      await subject.update('1.1', 'two');
      await subject.update('1.1', 'three');

      expect(slack.received.map((r) => r.headers.authorization)).toEqual([
        'Bearer xoxb-old',
        'Bearer xoxb-old',
        'Bearer xoxb-new',
      ]);
    });

    it('sends nothing when the token cannot be read', async () => {
      const subject = notifier(() => Promise.reject(new Error('AccessDeniedException: not allowed')));

      await expect(subject.post('text')).rejects.toThrow('AccessDeniedException: not allowed');
      expect(slack.received).toHaveLength(0);
    });

    it('sends nothing when the token is empty', async () => {
      await expect(notifier(() => Promise.resolve('')).post('text')).rejects.toThrow(
        'the Slack bot token is empty',
      );
      expect(slack.received).toHaveLength(0);
    });
  });

  it.each([
    ['an empty channel', { channel: '' }, 'SlackWebNotifier needs a channel id; channel is empty'],
    [
      'a zero timeout',
      { timeoutMs: 0 },
      'SlackWebNotifier timeoutMs is 0; expected a positive whole number of ms',
    ],
  ])('refuses %s', (_, fields, message) => {
    expect(
      () => new SlackWebNotifier({ token: () => Promise.resolve(TOKEN), channel: CHANNEL, ...fields }),
    ).toThrow(message);
  });

  describe('how classifyError sees its errors (shared/errors.ts)', () => {
    it('classifies an ok:false answer as transient (by its code)', () => {
      expect(
        classifyError(new WebAPIPlatformError({ ok: false, error: 'service_unavailable' })),
      ).toBeInstanceOf(TransientServiceError);
    });

    it('classifies a request error (no answer from Slack) as transient', () => {
      expect(classifyError(new WebAPIRequestError(new TypeError('fetch failed')))).toBeInstanceOf(
        TransientServiceError,
      );
    });

    it('classifies a rate-limited error as throttled', () => {
      expect(classifyError(new WebAPIRateLimitedError(30))).toBeInstanceOf(ThrottledError);
    });

    it('classifies an HTTP 5xx as transient', () => {
      expect(classifyError(new WebAPIHTTPError(503, 'Service Unavailable', {}, ''))).toBeInstanceOf(
        TransientServiceError,
      );
    });
  });
});
