import { WebClient, LogLevel, type ChatPostMessageArguments, type Logger } from '@slack/web-api';
import type { NotifierPort, SlackThread } from '../ports/Estate.ts';

/** A Lambda has seconds, not the half hour of WebClient's default retry policy. */
const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * One quick retry, for a request that never got an answer (a warm container's stale keep-alive
 * socket, a dropped connection) or got a non-200 status. A Slack `ok: false` answer is not retried,
 * and a 429 is not waited out here: the error says when to retry and the workflow's Retry backs off.
 */
const RETRY_CONFIG = { retries: 1, factor: 1, minTimeout: 250, maxTimeout: 250, randomize: false };

/**
 * WebClient logs each retry and rate limit at info and warn; the error that ends the call carries
 * the same facts, and the caller logs it once.
 */
const SILENT_LOGGER: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

type Blocks = NonNullable<Extract<ChatPostMessageArguments, { blocks?: unknown }>['blocks']>;

export interface SlackWebNotifierOptions {
  /** The bot token (`xoxb-…`), read when first needed and on each call after (the reader caches it). */
  readonly token: () => Promise<string>;
  /** The channel id messages go to. */
  readonly channel: string;
  /** Slack's Web API base URL; `https://slack.com/api/` unless a test points it elsewhere. */
  readonly slackApiUrl?: string;
  /** Each HTTP request's deadline. */
  readonly timeoutMs?: number;
}

/**
 * The team's Slack channel through the Web API (chat.postMessage, chat.update, chat.postEphemeral)
 * with the bot token.
 * Errors propagate as @slack/web-api throws them: WebAPIPlatformError (`ok: false`; `data.error`
 * says why), WebAPIRateLimitedError (429; `retryAfter` in seconds), WebAPIRequestError (no answer:
 * refused, reset, timed out), WebAPIHTTPError (a status other than 200 or 429).
 */
export class SlackWebNotifier implements NotifierPort {
  readonly #token: () => Promise<string>;
  readonly #channel: string;
  readonly #slackApiUrl: string | undefined;
  readonly #timeoutMs: number;
  #client: { readonly token: string; readonly web: WebClient } | undefined;

  constructor(options: SlackWebNotifierOptions) {
    if (options.channel === '') throw new RangeError('SlackWebNotifier needs a channel id; channel is empty');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(
        `SlackWebNotifier timeoutMs is ${timeoutMs}; expected a positive whole number of ms`,
      );
    }
    this.#token = options.token;
    this.#channel = options.channel;
    this.#slackApiUrl = options.slackApiUrl;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * chat.postMessage; in a thread, `thread_ts` names the parent and `reply_broadcast` shows the reply
   * in the channel too (https://docs.slack.dev/reference/methods/chat.postMessage).
   */
  async post(text: string, blocks?: readonly unknown[], thread?: SlackThread): Promise<string> {
    const web = await this.#web();
    const message = {
      channel: this.#channel,
      text,
      ...(blocks === undefined ? {} : { blocks: blocks as Blocks }),
    };
    const result = await web.chat.postMessage(
      thread === undefined
        ? message
        : { ...message, thread_ts: thread.ts, reply_broadcast: thread.broadcast === true },
    );
    if (typeof result.ts !== 'string' || result.ts === '') {
      throw new Error(`Slack chat.postMessage to ${this.#channel} answered ok without the message's ts`);
    }
    return result.ts;
  }

  async update(ts: string, text: string, blocks?: readonly unknown[]): Promise<void> {
    const web = await this.#web();
    await web.chat.update({
      channel: this.#channel,
      ts,
      text,
      ...(blocks === undefined ? {} : { blocks: blocks as Blocks }),
    });
  }

  /** https://docs.slack.dev/reference/methods/chat.postEphemeral: seen by `user` alone, in the channel. */
  async postEphemeral(user: string, text: string): Promise<void> {
    const web = await this.#web();
    await web.chat.postEphemeral({ channel: this.#channel, user, text });
  }

  /** The client for the current token: kept while the token stays the same, replaced after a rotation. */
  async #web(): Promise<WebClient> {
    const token = await this.#token();
    if (token === '') throw new Error('the Slack bot token is empty');
    if (this.#client?.token !== token) {
      this.#client = {
        token,
        web: new WebClient(token, {
          ...(this.#slackApiUrl === undefined ? {} : { slackApiUrl: this.#slackApiUrl }),
          timeout: this.#timeoutMs,
          retryConfig: RETRY_CONFIG,
          rejectRateLimitedCalls: true,
          logger: SILENT_LOGGER,
          // The methods used are named, never absolute URLs; nothing else may redirect the token.
          allowAbsoluteUrls: false,
        }),
      };
    }
    return this.#client.web;
  }
}
