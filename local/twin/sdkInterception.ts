import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { EKSClient } from '@aws-sdk/client-eks';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { currentScope, type ContainerScope } from './LambdaSandbox.ts';
import type { TwinService } from './types.ts';

/**
 * How the twin sees the functions' AWS calls: every SDK v3 client class the functions use has its
 * `send` wrapped (on the class's prototype, as aws-sdk-client-mock does), so a call made inside a
 * container goes to that container's twin with the command's name and input, before the SDK
 * serializes it. Calls made outside any container (the local runtime's own ledger client, tests)
 * go to the SDK unchanged.
 *
 * Why in-process and not loopback endpoints (`AWS_ENDPOINT_URL_<SERVICE>`): the twin needs the
 * operation and its input as the code built them, which is what AWS's API model and IAM judge, and
 * five of the seven services speak protocols (query/XML, REST-XML) that a loopback server would have
 * to parse back into the same thing. DynamoDB is the exception: its calls are checked here, then
 * sent by the function's own client over HTTP to the embedded DynamoDB, the way the function
 * reaches DynamoDB in AWS.
 */

/** A command as the SDK's `send` takes it. */
export interface SdkCommand {
  readonly input: Readonly<Record<string, unknown>>;
}

/** An SDK client, as much of it as the twin uses. */
export interface SdkClient {
  readonly config: { readonly region: () => Promise<string> };
  send(command: SdkCommand, options?: unknown): Promise<unknown>;
}

/** What receives the calls made inside containers (the container's `owner`). */
export interface CallReceiver {
  call(
    scope: ContainerScope,
    service: TwinService,
    client: SdkClient,
    command: SdkCommand,
    send: (command: SdkCommand) => Promise<unknown>,
  ): Promise<unknown>;
  /** Real HTTP work a container started (the Kubernetes API, Slack): the clock waits for it. */
  track(work: Promise<unknown>): void;
}

const CLIENTS: readonly (readonly [TwinService, { prototype: unknown }])[] = [
  ['route53', Route53Client],
  ['rds', RDSClient],
  ['elasticache', ElastiCacheClient],
  ['eks', EKSClient],
  ['cloudwatch', CloudWatchClient],
  ['dynamodb', DynamoDBClient],
  ['sfn', SFNClient],
  ['secretsmanager', SecretsManagerClient],
  ['events', EventBridgeClient],
  ['lambda', LambdaClient],
];

const INSTALLED = Symbol.for('lifeboat.twin.sdk');

function isReceiver(owner: unknown): owner is CallReceiver {
  return typeof (owner as CallReceiver | null)?.call === 'function';
}

/** Wraps the clients' `send` and watches the containers' HTTP requests, once per module registry. */
export function installInterception(): void {
  for (const [service, client] of CLIENTS) {
    const prototype = client.prototype as Record<string | symbol, unknown>;
    if (Object.prototype.hasOwnProperty.call(prototype, INSTALLED)) continue;
    const original = prototype.send as (this: SdkClient, ...args: unknown[]) => Promise<unknown>;
    prototype[INSTALLED] = true;
    prototype.send = function send(this: SdkClient, command: SdkCommand, ...rest: unknown[]): unknown {
      const scope = currentScope();
      if (scope === undefined || !isReceiver(scope.container.owner)) {
        return Reflect.apply(original, this, [command, ...rest]);
      }
      return scope.container.owner.call(scope, service, this, command, (c) =>
        Reflect.apply(original, this, [c, ...rest]),
      );
    };
  }
  const channels = globalThis as unknown as Record<symbol, boolean>;
  if (channels[INSTALLED] === true) return;
  channels[INSTALLED] = true;
  // fetch (undici, which @slack/web-api uses): from the request's creation to its last byte.
  const pending = new WeakMap<object, () => void>();
  subscribe('undici:request:create', (message) => {
    const scope = currentScope();
    if (scope === undefined || !isReceiver(scope.container.owner)) return;
    const { request } = message as { request: object };
    scope.container.owner.track(
      new Promise<void>((resolve) => {
        pending.set(request, resolve);
      }),
    );
  });
  for (const end of ['undici:request:trailers', 'undici:request:error']) {
    subscribe(end, (message) => {
      const { request } = message as { request: object };
      pending.get(request)?.();
      pending.delete(request);
    });
  }
  // A container's HTTP request is real I/O: virtual time must not pass while it is on the wire.
  subscribe('http.client.request.start', (message) => {
    const scope = currentScope();
    if (scope === undefined || !isReceiver(scope.container.owner)) return;
    const { request } = message as { request: ClientRequest };
    scope.container.owner.track(
      new Promise<void>((resolve) => {
        request.once('error', () => {
          resolve();
        });
        request.once('close', () => {
          resolve();
        });
        request.once('response', (response: IncomingMessage) => {
          response.once('end', () => {
            resolve();
          });
          response.once('close', () => {
            resolve();
          });
        });
      }),
    );
  });
}
