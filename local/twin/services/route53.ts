import { fenceVoteRegions, recordCheckShape } from '../../../shared/aws/CloudWatchFence.ts';
import { fenceAlarmName } from '../../../shared/config/naming.ts';
import {
  APPLICATION_TAG,
  REGION_TAG,
  ROLE_TAG,
  type HealthCheckRole,
} from '../../../shared/aws/healthCheckDiscovery.ts';
import type { ApplicationConfig } from '../../../shared/config/LifeboatConfig.ts';
import { SimulatedServiceError } from '../../world/faults.ts';
import type { World } from '../../world/World.ts';
import { text, type ServiceOperations, type TwinInput } from './ServiceTwin.ts';

/** Route 53's health checkers: GetHealthCheckStatus reports one observation per checker region. */
const CHECKER_REGIONS = [
  'us-east-1',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
];

interface TwinHealthCheck {
  readonly id: string;
  readonly application: string;
  readonly region: string;
  readonly role: HealthCheckRole;
  readonly config: Record<string, unknown>;
}

/** The record's name as Route 53 lists it: lower case, with the trailing dot. */
function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/**
 * The health checks the detection stack creates, as Route 53 lists them: per application region an
 * endpoint check (the world's, probing the configured endpoint) and its copies, a fence check
 * (CloudWatch-alarm based) per vote on the record (`fenceVoteRegions`), and the record's calculated check over
 * them (`recordCheckShape`), each tagged as the discovery reads them.
 */
function healthChecks(world: World): TwinHealthCheck[] {
  const out: TwinHealthCheck[] = [];
  for (const app of world.config.applications) {
    for (const [region, spec] of Object.entries(app.healthChecks)) {
      const voters = fenceVoteRegions(world.config, app, region);
      const id = world.healthCheckId(app.name, region);
      const shape = recordCheckShape(voters.length, spec.kind !== 'existing');
      const children = [id];
      if (spec.kind === 'endpoint') {
        const config = {
          Type: spec.https ? 'HTTPS' : 'HTTP',
          FullyQualifiedDomainName: spec.endpoint,
          Port: spec.port,
          ResourcePath: spec.path,
          RequestInterval: spec.intervalSeconds,
          FailureThreshold: spec.failureThreshold,
        };
        out.push({ id, application: app.name, region, role: 'endpoint', config });
        for (let copy = 1; copy < shape.endpointCopies; copy++) {
          children.push(`${id}-copy${copy}`);
          out.push({ id: `${id}-copy${copy}`, application: app.name, region, role: 'endpoint-copy', config });
        }
      }
      for (const voter of voters) {
        children.push(`${id}-fence-${voter}`);
        out.push({
          id: `${id}-fence-${voter}`,
          application: app.name,
          region,
          role: 'fence',
          config: {
            Type: 'CLOUDWATCH_METRIC',
            AlarmIdentifier: { Region: voter, Name: fenceAlarmName(app.name, region, voter) },
            InsufficientDataHealthStatus: 'LastKnownStatus',
          },
        });
      }
      out.push({
        id: `${id}-record`,
        application: app.name,
        region,
        role: 'record',
        config: { Type: 'CALCULATED', HealthThreshold: shape.threshold, ChildHealthChecks: children },
      });
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

function appOfZone(world: World, hostedZoneId: unknown): ApplicationConfig[] {
  const zone = text(hostedZoneId).replace(/^\/hostedzone\//, '');
  const apps = world.config.applications.filter((a) => a.dns.hostedZoneId === zone);
  if (apps.length === 0)
    throw new SimulatedServiceError('NoSuchHostedZone', `No hosted zone found with ID: ${zone}`, 404);
  return apps;
}

/**
 * Route 53's API over the simulated world: the applications' weighted records, their changes and
 * the health checks. Route 53 is global; its control plane lives in us-east-1, which the world's
 * fault checks apply.
 */
export function route53Operations(
  /** Whether the run a change names was started with `force` by a person (invariant 2's exception). */
  forced: (execution: string) => boolean = () => false,
): ServiceOperations {
  return {
    ListResourceRecordSets: (input, { world }) => {
      const sets: Record<string, unknown>[] = [];
      for (const app of appOfZone(world, input.HostedZoneId)) {
        const weights = world.getWeights(app.name);
        for (const [region, record] of Object.entries(app.dns.records)) {
          const id = world.healthCheckId(app.name, region);
          sets.push({
            Name: fqdn(app.dns.recordName),
            Type: app.dns.recordType,
            SetIdentifier: record.setIdentifier,
            Weight: weights[region] ?? 0,
            HealthCheckId: `${id}-record`,
            ...(record.aliasTarget === undefined
              ? { TTL: app.dns.ttlSeconds, ResourceRecords: [{ Value: record.value ?? '' }] }
              : {
                  AliasTarget: {
                    HostedZoneId: record.aliasTarget.hostedZoneId,
                    DNSName: fqdn(record.aliasTarget.dnsName),
                    EvaluateTargetHealth: false,
                  },
                }),
          });
        }
      }
      // Sorted by name, then type, then set identifier, from StartRecordName on, as Route 53 lists.
      sets.sort(
        (a, b) =>
          text(a.Name).localeCompare(text(b.Name)) ||
          text(a.Type).localeCompare(text(b.Type)) ||
          text(a.SetIdentifier).localeCompare(text(b.SetIdentifier)),
      );
      const start = input.StartRecordName === undefined ? undefined : fqdn(text(input.StartRecordName));
      const listed = sets.filter((s) => start === undefined || text(s.Name) >= start);
      const max = Number(input.MaxItems ?? 300);
      return {
        ResourceRecordSets: listed.slice(0, max),
        IsTruncated: listed.length > max,
        MaxItems: max,
        ...(listed.length > max
          ? {
              NextRecordName: listed[max]?.Name,
              NextRecordType: listed[max]?.Type,
              NextRecordIdentifier: listed[max]?.SetIdentifier,
            }
          : {}),
      };
    },
    ChangeResourceRecordSets: (input, { world }) => {
      const apps = appOfZone(world, input.HostedZoneId);
      const batch = input.ChangeBatch as
        { Comment?: string; Changes?: Record<string, unknown>[] } | undefined;
      const byApp = new Map<string, Record<string, number>>();
      for (const change of batch?.Changes ?? []) {
        const set = change.ResourceRecordSet as Record<string, unknown>;
        const app = apps.find(
          (a) => fqdn(a.dns.recordName) === fqdn(text(set.Name)) && a.dns.recordType === set.Type,
        );
        const region = Object.entries(app?.dns.records ?? {}).find(
          ([, r]) => r.setIdentifier === set.SetIdentifier,
        )?.[0];
        if (app === undefined || region === undefined) {
          throw new SimulatedServiceError(
            'InvalidChangeBatch',
            `[Tried to ${text(change.Action).toLowerCase()} resource record set [name='${text(set.Name)}', type='${text(set.Type)}', set-identifier='${text(set.SetIdentifier)}'] but it was not found]`,
            400,
          );
        }
        if (change.Action !== 'UPSERT') {
          throw new SimulatedServiceError(
            'InvalidChangeBatch',
            `${text(change.Action)} of ${app.name}'s record in ${region} is not something the rehearsal lets a function do`,
            400,
          );
        }
        const weights = byApp.get(app.name) ?? {};
        weights[region] = Number(set.Weight);
        byApp.set(app.name, weights);
      }
      // The adapter names the run in the comment: `Lifeboat <execution>: region=weight, ...`.
      const by = /^Lifeboat ([^:]+):/.exec(batch?.Comment ?? '')?.[1];
      let id = '';
      for (const [application, weights] of byApp) {
        id = world.changeWeights(application, weights, {
          ...(by === undefined ? {} : { by, force: forced(by) }),
        });
      }
      return {
        ChangeInfo: {
          Id: `/change/${id}`,
          Status: 'PENDING',
          SubmittedAt: world.clock.now(),
          ...(batch?.Comment === undefined ? {} : { Comment: batch.Comment }),
        },
      };
    },
    GetChange: (input, { world }) => {
      const id = text(input.Id).replace(/^\/change\//, '');
      return {
        ChangeInfo: { Id: `/change/${id}`, Status: world.getChange(id), SubmittedAt: world.clock.now() },
      };
    },
    GetHealthCheckStatus: (input, { world }) => {
      const check = healthChecks(world).find((c) => c.id === input.HealthCheckId);
      if (check === undefined) {
        throw new SimulatedServiceError(
          'NoSuchHealthCheck',
          `No health check exists with the specified ID ${text(input.HealthCheckId)}`,
          404,
        );
      }
      const status = world.getHealthCheckStatus(check.application, check.region);
      const now = world.clock.now();
      return {
        HealthCheckObservations: CHECKER_REGIONS.map((region, i) => ({
          Region: region,
          IPAddress: `15.177.${i}.10`,
          StatusReport: {
            Status:
              status === 'healthy'
                ? 'Success: HTTP Status Code 200, OK'
                : 'Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.',
            CheckedTime: now,
          },
        })),
      };
    },
    ListHealthChecks: (input: TwinInput, { world }) => {
      world.faults.check('route53', 'ListHealthChecks', 'us-east-1');
      const all = healthChecks(world);
      const start = input.Marker === undefined ? 0 : all.findIndex((c) => c.id === input.Marker);
      const max = Number(input.MaxItems ?? 100);
      const page = all.slice(Math.max(0, start), Math.max(0, start) + max);
      const next = all[Math.max(0, start) + max];
      return {
        HealthChecks: page.map((c) => ({
          Id: c.id,
          CallerReference: `lifeboat-${c.id}`,
          HealthCheckConfig: c.config,
          HealthCheckVersion: 1,
        })),
        Marker: input.Marker ?? '',
        IsTruncated: next !== undefined,
        MaxItems: max,
        ...(next === undefined ? {} : { NextMarker: next.id }),
      };
    },
    ListTagsForResources: (input, { world }) => {
      world.faults.check('route53', 'ListTagsForResources', 'us-east-1');
      const all = healthChecks(world);
      return {
        ResourceTagSets: ((input.ResourceIds ?? []) as string[]).map((id) => {
          const check = all.find((c) => c.id === id);
          if (check === undefined) {
            throw new SimulatedServiceError(
              'NoSuchHealthCheck',
              `No health check exists with the specified ID ${id}`,
              404,
            );
          }
          return {
            ResourceType: 'healthcheck',
            ResourceId: id,
            Tags: [
              { Key: APPLICATION_TAG, Value: check.application },
              { Key: REGION_TAG, Value: check.region },
              { Key: ROLE_TAG, Value: check.role },
            ],
          };
        }),
      };
    },
  };
}
