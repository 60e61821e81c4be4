/**
 * Lifeboat's error hierarchy. State machines catch errors by `name`, so each class sets a stable
 * name that ends in `Error` (or is one of the documented workflow error names) and keeps `cause`.
 */
export class LifeboatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A config file that cannot be used; `problems` holds one `path: what is wrong` line per problem. */
export class ConfigError extends LifeboatError {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`Invalid Lifeboat config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** A scenario file that cannot be run; `problems` holds one `path: what is wrong` line per problem. */
export class ScenarioError extends LifeboatError {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`Invalid scenario ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/**
 * A workflow's input that cannot be acted on; the execution ends at its first state with this
 * error, whose message lists every problem. The name is the one the console shows.
 */
export class InvalidInputError extends LifeboatError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'InvalidInput';
    this.problems = problems;
  }
}

/** An AWS (or Slack) call refused for rate: retry with back-off. */
export class ThrottledError extends LifeboatError {}

/** A call that failed in a way that may pass: a 5xx, a timeout, a region not answering. Retry. */
export class TransientServiceError extends LifeboatError {}

/** A call that will fail again: access denied, not found, invalid state. Do not retry. */
export class PermanentServiceError extends LifeboatError {}

/** The estate is not in a state the step can act on (for example the target is unhealthy). */
export class PreconditionFailedError extends LifeboatError {}

/** A status loop ran out of attempts before the resource got where it had to be. */
export class NotReadyError extends LifeboatError {}

/**
 * The resource refuses the operation for now and will take it later (an RDS read replica refuses
 * promotion while it is backing up): the step's Retry waits and asks again.
 */
export class DatabaseBusyError extends LifeboatError {}

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'TooManyRequests',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'PriorRequestNotComplete',
  'slack_webapi_rate_limited_error',
]);

const TRANSIENT_NAMES = new Set([
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'InternalServerException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'NetworkingError',
  'slack_webapi_platform_error',
  'slack_webapi_request_error',
  // Kubernetes' 409 on an update whose resourceVersion another writer moved: read again and retry.
  'Conflict',
]);

/**
 * The class of error a workflow's Retry and Catch act on, for any error an AWS SDK call (or its
 * simulation) throws: throttled, transient or permanent. Lifeboat's own errors pass unchanged.
 */
export function classifyError(error: unknown): Error {
  if (error instanceof LifeboatError) return error;
  const e = error as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    $retryable?: { throttling?: unknown };
  };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' ? e.code : undefined;
  // The AWS SDK gives the HTTP status in $metadata; @slack/web-api's HTTP errors in statusCode.
  const slackStatus = (error as { statusCode?: unknown } | null)?.statusCode;
  const status =
    typeof e.$metadata?.httpStatusCode === 'number'
      ? e.$metadata.httpStatusCode
      : typeof slackStatus === 'number'
        ? slackStatus
        : undefined;
  const message = `${name}: ${typeof e.message === 'string' ? e.message : String(error)}`;
  if (
    THROTTLING_NAMES.has(name) ||
    (code !== undefined && THROTTLING_NAMES.has(code)) ||
    status === 429 ||
    e.$retryable?.throttling === true
  ) {
    return new ThrottledError(message, { cause: error });
  }
  if (
    TRANSIENT_NAMES.has(name) ||
    (code !== undefined && TRANSIENT_NAMES.has(code)) ||
    (status !== undefined && status >= 500)
  ) {
    return new TransientServiceError(message, { cause: error });
  }
  return new PermanentServiceError(message, { cause: error });
}

/**
 * Slack did not take an approval request (it is down, or refused the post). The workflow retries it
 * every minute for up to an hour when the config says `whenSlackIsDown: "wait"`.
 */
export class SlackUnavailableError extends LifeboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SlackUnavailable';
  }
}

/** Slack did not take an approval request and the config says `whenSlackIsDown: "fail"`: the run ends. */
export class ApprovalNotPostedError extends LifeboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApprovalNotPosted';
  }
}
