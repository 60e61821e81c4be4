import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopbackServer.ts';

/** One Web API call, as the twin answered it. */
export interface SlackCall {
  readonly method: string;
  readonly status: number;
  readonly error?: string;
}

export interface SlackApiTwinOptions {
  /** The bot token Slack issued (what the Secrets Manager twin holds). */
  readonly token: string;
  /** The channel the bot is in. */
  readonly channel: string;
  readonly backend: {
    /** Throws (with Slack's error as its name) when Slack cannot take the call now. */
    check(method: string): void;
    post(
      channel: string,
      text: string,
      blocks: readonly unknown[],
      thread?: { readonly ts: string; readonly broadcast: boolean },
    ): string;
    update(ts: string, text: string, blocks: readonly unknown[]): void;
    postEphemeral(channel: string, user: string, text: string): void;
  };
  readonly onCall: (call: SlackCall) => void;
}

/**
 * Slack's Web API on loopback (`http://127.0.0.1:<port>/api/`, what `@slack/web-api` takes as
 * `slackApiUrl`): `chat.postMessage`, `chat.update` and `chat.postEphemeral` over the world's channel, answered as Slack
 * answers (HTTP 200 with `ok: false` and the error for a bad token, channel or message; 429 with
 * Retry-After when rate limited; 503 while Slack is down, which the client retries once and then
 * reports as an HTTP error).
 */
export class SlackApiTwin {
  readonly #options: SlackApiTwinOptions;
  #close: (() => Promise<void>) | undefined;
  #url = '';
  #ephemeralSeq = 0;

  constructor(options: SlackApiTwinOptions) {
    this.#options = options;
  }

  get url(): string {
    if (this.#url === '') throw new Error('the Slack twin is not started');
    return this.#url;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void this.#handle(req, res);
    });
    const { port, close } = await listenOnLoopback(server);
    this.#close = close;
    this.#url = `http://127.0.0.1:${port}/api/`;
  }

  async stop(): Promise<void> {
    const close = this.#close;
    this.#close = undefined;
    await close?.();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = new URL(req.url ?? '/', 'http://127.0.0.1').pathname.replace(/^\/api\//, '');
    const reply = (
      status: number,
      body: Record<string, unknown>,
      headers: Record<string, string> = {},
    ): void => {
      const error = body.ok === false ? String(body.error) : undefined;
      this.#options.onCall({ method, status, ...(error === undefined ? {} : { error }) });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const args: Record<string, unknown> = /json/.test(req.headers['content-type'] ?? '')
      ? (JSON.parse(text || '{}') as Record<string, unknown>)
      : Object.fromEntries(new URLSearchParams(text));
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? args.token;
    if (token === undefined || token === '') {
      reply(200, { ok: false, error: 'not_authed' });
      return;
    }
    if (token !== this.#options.token) {
      reply(200, { ok: false, error: 'invalid_auth' });
      return;
    }
    if (method !== 'chat.postMessage' && method !== 'chat.update' && method !== 'chat.postEphemeral') {
      reply(200, { ok: false, error: 'unknown_method' });
      return;
    }
    try {
      this.#options.backend.check(method);
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'slack_webapi_rate_limited_error') {
        reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
        return;
      }
      reply(503, { ok: false, error: 'service_unavailable' });
      return;
    }
    const channel = typeof args.channel === 'string' ? args.channel : '';
    if (channel !== this.#options.channel) {
      reply(200, { ok: false, error: 'channel_not_found' });
      return;
    }
    const blocks = parseBlocks(args.blocks);
    if (blocks === undefined) {
      reply(200, { ok: false, error: 'invalid_blocks' });
      return;
    }
    const message = typeof args.text === 'string' ? args.text : '';
    if (method === 'chat.postEphemeral') {
      // https://docs.slack.dev/reference/methods/chat.postEphemeral: `user` is required; the answer
      // carries a message_ts that cannot be updated.
      const user = typeof args.user === 'string' ? args.user : '';
      if (user === '') {
        reply(200, { ok: false, error: 'user_not_in_channel' });
        return;
      }
      this.#options.backend.postEphemeral(channel, user, message);
      reply(200, { ok: true, message_ts: `${++this.#ephemeralSeq}.000000` });
      return;
    }
    if (method === 'chat.postMessage') {
      // https://docs.slack.dev/reference/methods/chat.postMessage: `thread_ts` makes the message a
      // reply; `reply_broadcast` (a boolean, sent as "true" in a form) shows it in the channel too.
      const threadTs =
        typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : undefined;
      const broadcast = args.reply_broadcast === true || args.reply_broadcast === 'true';
      const ts = this.#options.backend.post(
        channel,
        message,
        blocks,
        threadTs === undefined ? undefined : { ts: threadTs, broadcast },
      );
      reply(200, {
        ok: true,
        channel,
        ts,
        message: { text: message, ts, ...(threadTs === undefined ? {} : { thread_ts: threadTs }) },
      });
      return;
    }
    const ts = typeof args.ts === 'string' ? args.ts : '';
    try {
      this.#options.backend.update(ts, message, blocks);
    } catch {
      reply(200, { ok: false, error: 'message_not_found' });
      return;
    }
    reply(200, { ok: true, channel, ts, text: message });
  }
}

/** Blocks as the client sends them: a JSON array (form-encoded as a string) or absent. */
function parseBlocks(value: unknown): readonly unknown[] | undefined {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value as unknown[];
  if (typeof value !== 'string') return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
