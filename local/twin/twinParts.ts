import type { VirtualClock } from '../clock/VirtualClock.ts';
import type { WorkflowRunner } from '../runner/WorkflowRunner.ts';
import type { World } from '../world/World.ts';
import type { RoleCredentials, TwinChecks } from './AwsTwin.ts';
import type { Deployment } from './Deployment.ts';
import type { ServiceOperations } from './services/ServiceTwin.ts';
import type { AwsCallRecord, TwinService } from './types.ts';

/** The twin's parts for one rehearsal: its checks, its service twins and its loopback servers. */
export interface TwinParts {
  readonly checks: TwinChecks;
  readonly services: Readonly<Partial<Record<TwinService, readonly ServiceOperations[]>>>;
  /** The Slack Web API's base URL (`slackApiUrl`), once started. */
  slackApiUrl(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TwinPartsOptions {
  readonly world: World;
  readonly clock: VirtualClock;
  readonly deployment: Deployment;
  readonly slack: { readonly botToken: string; readonly signingSecret: string };
  readonly credentials: (accessKeyId: string) => RoleCredentials | undefined;
  readonly runner: () => WorkflowRunner;
  readonly onKubernetesCall: (record: { call: AwsCallRecord; violation?: string }) => void;
}

export function twinParts(_options: TwinPartsOptions): TwinParts {
  return {
    checks: {
      modelErrors: () => [],
      authorizationRequests: () => [],
      evaluate: (_, request) => ({ request, decision: 'allowed', reason: '' }),
    },
    services: {},
    slackApiUrl: () => 'http://127.0.0.1:9/api/',
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
}
