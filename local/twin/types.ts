/**
 * The contract between the AWS twin's parts: the interception of the SDK calls (`AwsTwin`), the API
 * model check (`apiModel`), the IAM check (`iam/`), the services over the simulated world
 * (`services/`) and the loopback servers (Kubernetes, Slack).
 */

/** The AWS services Lifeboat's functions call, by the name the twin and the report use. */
export const TWIN_SERVICES = [
  'route53',
  'rds',
  'elasticache',
  'eks',
  'cloudwatch',
  'dynamodb',
  'sfn',
  'secretsmanager',
  'events',
  'lambda',
] as const;
export type TwinService = (typeof TWIN_SERVICES)[number];

/** One AWS API call as the twin sees it: the SDK command's name without `Command`, and its input. */
export interface AwsRequest {
  readonly service: TwinService;
  /** `PromoteReadReplica`, `ChangeResourceRecordSets`, ... */
  readonly operation: string;
  /** The command's input, exactly as the SDK was given it (Smithy member names). */
  readonly input: Readonly<Record<string, unknown>>;
  /** The region the client sends to (Route 53: the client's region; its endpoint is global). */
  readonly region: string;
  readonly account: string;
  readonly partition: string;
}

/** What IAM is asked for one call: an action on a resource, with the request's condition keys. */
export interface AuthorizationRequest {
  /** `rds:PromoteReadReplica` */
  readonly action: string;
  /** The resource's ARN, or `*` for an action that names no resource type. */
  readonly resource: string;
  /** Condition keys AWS supplies with the request (`aws:RequestedRegion`, `aws:ResourceTag/...`). */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

/** An IAM policy document as CloudFormation holds it, with every token resolved to a string. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Readonly<Record<string, unknown>>[];
}

export interface AuthorizationDecision {
  readonly request: AuthorizationRequest;
  readonly decision: 'allowed' | 'denied';
  /** Why, in the words of the simulator: `explicit deny`, `no statement allows ...`. */
  readonly reason: string;
}

/** One call's entry in the report (contract version 1, `awsCalls`). */
export interface AwsCallRecord {
  readonly at: number;
  readonly function: string;
  readonly region: string;
  readonly service: TwinService | 'kubernetes' | 'slack';
  readonly operation: string;
  readonly decision: 'allowed' | 'denied';
  readonly modelErrors: readonly string[];
  /** For a denial: the action and resource refused, and why. */
  readonly denied?: string;
}
