/**
 * List prices (USD, us-east-1, read 2026-11-22) the cost model uses, each with where it was read.
 * `confirmed` is false where the figure was not found on AWS's own pricing page (only in a
 * third-party summary, or from memory of that page): check those before relying on them.
 */
export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
  readonly read: string;
  readonly confirmed: boolean;
  readonly note?: string;
}

const READ = '2026-11-22';

export const PRICES = {
  healthCheckAws: {
    usd: 0.5,
    unit: 'health check-month (AWS endpoint, and calculated or CloudWatch-metric based)',
    source: 'https://aws.amazon.com/route53/pricing/',
    read: READ,
    confirmed: false,
    note: '$0.50 (AWS endpoint) and $0.75 (other) seen in a third-party summary (wewantcode.com); that calculated and metric-based checks bill as basic AWS-endpoint checks is not confirmed',
  },
  healthCheckOptionAws: {
    usd: 1,
    unit: 'optional feature-month per health check (HTTPS, string matching, fast interval, latency)',
    source: 'https://aws.amazon.com/route53/pricing/',
    read: READ,
    confirmed: false,
    note: 'the page was not reachable from the search index; $1.00 per feature for AWS endpoints not confirmed',
  },
  alarmStandard: {
    usd: 0.1,
    unit: 'alarm metric-month (standard resolution)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    read: READ,
    confirmed: false,
    note: 'figure from c3x.dev; AWS page confirms the free tier of 10 standard alarm metrics only',
  },
  alarmHighResolution: {
    usd: 0.3,
    unit: 'alarm metric-month (high resolution, period < 60 s)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    read: READ,
    confirmed: false,
    note: 'figure from c3x.dev',
  },
  customMetric: {
    usd: 0.3,
    unit: 'custom metric-month (first 10,000; prorated by the hour it receives data)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    read: READ,
    confirmed: false,
  },
  putMetricData: {
    usd: 0.01 / 1000,
    unit: 'PutMetricData / GetMetricData request (metric)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    read: READ,
    confirmed: false,
    note: 'AWS page confirms GetMetricData is always charged; $0.01 per 1,000 not confirmed',
  },
  dashboard: {
    usd: 3,
    unit: 'dashboard-month (beyond the 3 free)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    read: READ,
    confirmed: false,
  },
  logsIngestion: {
    usd: 0.5,
    unit: 'GB of CloudWatch Logs ingested',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    read: READ,
    confirmed: false,
  },
  kmsKey: {
    usd: 1,
    unit: 'KMS key-month (+$1 for each of the first two automatic rotations)',
    source: 'https://aws.amazon.com/kms/pricing/',
    read: READ,
    confirmed: true,
  },
  secret: {
    usd: 0.4,
    unit: 'secret-month (each replica is a secret)',
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
    read: READ,
    confirmed: false,
    note: 'figure from hivebook.wiki',
  },
  secretsApi: {
    usd: 0.05 / 10_000,
    unit: 'Secrets Manager API call',
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
    read: READ,
    confirmed: false,
  },
  schedulerInvocation: {
    usd: 1 / 1_000_000,
    unit: 'EventBridge Scheduler invocation (after 14 million free a month)',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
    read: READ,
    confirmed: false,
  },
  dynamoWrite: {
    usd: 0.625 / 1_000_000,
    unit: 'on-demand write request unit (and each replicated write request unit)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    read: READ,
    confirmed: false,
    note: 'the page defines replicated write request units; the amount was not in the excerpt',
  },
  dynamoRead: {
    usd: 0.125 / 1_000_000,
    unit: 'on-demand read request unit',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    read: READ,
    confirmed: false,
  },
  dynamoStorage: {
    usd: 0.25,
    unit: 'GB-month stored, per replica (+$0.20 point-in-time recovery)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    read: READ,
    confirmed: false,
  },
  lambdaRequest: {
    usd: 0.2 / 1_000_000,
    unit: 'Lambda request',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: READ,
    confirmed: false,
    note: 'figure from cloudchipr.com and a Lambda course page; the AWS page excerpt gave no figures',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: 'Lambda GB-second, arm64',
    source: 'https://aws.amazon.com/lambda/pricing/',
    read: READ,
    confirmed: false,
    note: 'figure from cloudchipr.com',
  },
  stateTransition: {
    usd: 0.025 / 1000,
    unit: 'Step Functions Standard state transition (retries included)',
    source: 'https://aws.amazon.com/step-functions/pricing/',
    read: READ,
    confirmed: true,
  },
  xrayTrace: {
    usd: 5 / 1_000_000,
    unit: 'X-Ray trace recorded (after 100,000 free a month)',
    source: 'https://aws.amazon.com/xray/pricing/',
    read: READ,
    confirmed: false,
  },
  regionSwitchPlan: {
    usd: 70,
    unit: 'ARC Region switch plan-month',
    source: 'https://aws.amazon.com/application-recovery-controller/pricing/',
    read: READ,
    confirmed: false,
    note: 'the figure given in issue 9; not found on the page',
  },
  arcCluster: {
    usd: 2.5,
    unit: 'ARC routing control cluster-hour',
    source: 'https://aws.amazon.com/application-recovery-controller/pricing/',
    read: READ,
    confirmed: false,
    note: 'the figure given in issue 9 and in DESIGN.md; the ARC guide says clusters are charged by the hour',
  },
} as const satisfies Record<string, Price>;

export type PriceKey = keyof typeof PRICES;

/** Hours in a month as AWS bills them (730). */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
