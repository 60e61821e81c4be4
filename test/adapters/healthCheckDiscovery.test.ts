import {
  GetChangeCommand,
  ListHealthChecksCommand,
  ListTagsForResourcesCommand,
  Route53Client,
  ThrottlingException,
  type HealthCheck,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { jest } from '@jest/globals';
import {
  cachedHealthCheckIds,
  DiscoveringRoute53Dns,
  discoverHealthCheckIds,
} from '../../shared/aws/healthCheckDiscovery.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';

const route53 = mockClient(Route53Client);
const client = new Route53Client({ region: 'us-east-1' });

function testConfig(mutate?: (doc: ReturnType<typeof exampleConfigDocument>) => void): LifeboatConfig {
  const doc = exampleConfigDocument();
  mutate?.(doc);
  return parseConfig(doc, 'test');
}

const config = testConfig();

function check(id: string, host: string): HealthCheck {
  return {
    Id: id,
    CallerReference: `ref-${id}`,
    HealthCheckVersion: 1,
    HealthCheckConfig: { Type: 'HTTPS', FullyQualifiedDomainName: host },
  };
}

function tags(id: string, application: string, region: string, role?: string) {
  return {
    ResourceType: 'healthcheck' as const,
    ResourceId: id,
    Tags: [
      { Key: 'Name', Value: `lifeboat ${application} ${region}` },
      { Key: 'lifeboat:application', Value: application },
      { Key: 'lifeboat:region', Value: region },
      ...(role === undefined ? [] : [{ Key: 'lifeboat:role', Value: role }]),
    ],
  };
}

function calculated(id: string): HealthCheck {
  return {
    Id: id,
    CallerReference: `ref-${id}`,
    HealthCheckVersion: 1,
    HealthCheckConfig: { Type: 'CALCULATED' },
  };
}

/** The five checks the detection stack creates for the example config, by id. */
const CREATED = [
  { id: 'hc-gw-use1', host: 'use1.gateway.example.com', app: 'ai-gateway', region: 'us-east-1' },
  { id: 'hc-gw-usw2', host: 'usw2.gateway.example.com', app: 'ai-gateway', region: 'us-west-2' },
  { id: 'hc-gw-euw1', host: 'euw1.gateway.example.com', app: 'ai-gateway', region: 'eu-west-1' },
  {
    id: 'hc-drill-use1',
    host: 'use1.drill.gateway.example.com',
    app: 'ai-gateway-drill',
    region: 'us-east-1',
  },
  {
    id: 'hc-drill-usw2',
    host: 'usw2.drill.gateway.example.com',
    app: 'ai-gateway-drill',
    region: 'us-west-2',
  },
];

const ALL_IDS = {
  'ai-gateway': { 'us-east-1': 'hc-gw-use1', 'us-west-2': 'hc-gw-usw2', 'eu-west-1': 'hc-gw-euw1' },
  'ai-gateway-drill': { 'us-east-1': 'hc-drill-use1', 'us-west-2': 'hc-drill-usw2' },
};

/** The calculated checks the records carry, one per application region. */
const RECORDS = CREATED.map((c) => ({ ...c, id: `rec-${c.id}` }));
const ALL_RECORD_IDS = {
  'ai-gateway': {
    'us-east-1': 'rec-hc-gw-use1',
    'us-west-2': 'rec-hc-gw-usw2',
    'eu-west-1': 'rec-hc-gw-euw1',
  },
  'ai-gateway-drill': { 'us-east-1': 'rec-hc-drill-use1', 'us-west-2': 'rec-hc-drill-usw2' },
};

function answerTags(): void {
  route53.on(ListTagsForResourcesCommand).callsFake((input: { ResourceIds: string[] }) => ({
    ResourceTagSets: input.ResourceIds.flatMap((id) => {
      const created = CREATED.find((c) => c.id === id);
      if (created !== undefined) return [tags(id, created.app, created.region)];
      const record = RECORDS.find((c) => c.id === id);
      return record === undefined ? [] : [tags(id, record.app, record.region, 'record')];
    }),
  }));
}

beforeEach(() => {
  route53.reset();
});

describe('discoverHealthCheckIds', () => {
  it('finds each created check by its tags when the account lists them', async () => {
    route53.on(ListHealthChecksCommand).resolves({
      HealthChecks: [
        check('other', 'unrelated.example.org'),
        ...CREATED.map((c) => check(c.id, c.host)),
        ...RECORDS.map((c) => calculated(c.id)),
      ],
      IsTruncated: false,
      Marker: '',
      MaxItems: 1000,
    });
    answerTags();

    await expect(discoverHealthCheckIds(client, config)).resolves.toMatchObject({ ids: ALL_IDS });

    expect(route53.commandCalls(ListHealthChecksCommand).map((c) => c.args[0].input)).toEqual([
      { MaxItems: 1000 },
    ]);
    // Only checks of a configured endpoint, and calculated checks, have their tags read.
    expect(route53.commandCalls(ListTagsForResourcesCommand).map((c) => c.args[0].input)).toEqual([
      { ResourceType: 'healthcheck', ResourceIds: [...CREATED, ...RECORDS].slice(0, 10).map((c) => c.id) },
    ]);
  });

  it('follows NextMarker until the listing is no longer truncated', async () => {
    route53
      .on(ListHealthChecksCommand, { MaxItems: 1000 })
      .resolves({
        HealthChecks: CREATED.slice(0, 2).map((c) => check(c.id, c.host)),
        IsTruncated: true,
        NextMarker: 'page-2',
        Marker: '',
        MaxItems: 1000,
      })
      .on(ListHealthChecksCommand, { MaxItems: 1000, Marker: 'page-2' })
      .resolves({
        HealthChecks: CREATED.slice(2).map((c) => check(c.id, c.host)),
        IsTruncated: false,
        Marker: 'page-2',
        MaxItems: 1000,
      });
    answerTags();

    await expect(discoverHealthCheckIds(client, config)).resolves.toMatchObject({ ids: ALL_IDS });

    expect(route53.commandCalls(ListHealthChecksCommand).map((c) => c.args[0].input)).toEqual([
      { MaxItems: 1000 },
      { MaxItems: 1000, Marker: 'page-2' },
    ]);
  });

  it('reads tags ten ids at a time when more than ten checks match the endpoints', async () => {
    const many = Array.from({ length: 12 }, (_, i) => check(`dup-${i}`, 'use1.gateway.example.com'));
    route53.on(ListHealthChecksCommand).resolves({
      HealthChecks: many,
      IsTruncated: false,
      Marker: '',
      MaxItems: 1000,
    });
    route53.on(ListTagsForResourcesCommand).resolves({ ResourceTagSets: [] });

    await discoverHealthCheckIds(client, config);

    expect(route53.commandCalls(ListTagsForResourcesCommand).map((c) => c.args[0].input)).toEqual([
      { ResourceType: 'healthcheck', ResourceIds: many.slice(0, 10).map((c) => c.Id) },
      { ResourceType: 'healthcheck', ResourceIds: many.slice(10).map((c) => c.Id) },
    ]);
  });

  it('uses an existing health check id as the config gives it, without asking Route 53 for it', async () => {
    const withExisting = testConfig((doc) => {
      for (const app of doc.applications as { healthChecks: Record<string, unknown> }[]) {
        for (const region of Object.keys(app.healthChecks)) {
          app.healthChecks[region] = { existingHealthCheckId: '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69' };
        }
      }
    });

    route53.on(ListHealthChecksCommand).resolves({ HealthChecks: [], IsTruncated: false });
    const found = await discoverHealthCheckIds(client, withExisting);

    // Only the records' calculated checks are looked for (none is listed here).
    expect(found.missing.every((m) => m.endsWith('(record)'))).toBe(true);
    expect(found.ids['ai-gateway']).toEqual({
      'us-east-1': '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69',
      'us-west-2': '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69',
      'eu-west-1': '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69',
    });
    expect(route53.commandCalls(ListTagsForResourcesCommand)).toHaveLength(0);
  });

  it('mixes existing ids and found ones when only some checks are created', async () => {
    const mixed = testConfig((doc) => {
      (doc.applications[1] as { healthChecks: Record<string, unknown> }).healthChecks['us-west-2'] = {
        existingHealthCheckId: '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69',
      };
    });
    route53.on(ListHealthChecksCommand).resolves({
      HealthChecks: CREATED.filter((c) => c.id !== 'hc-drill-usw2').map((c) => check(c.id, c.host)),
      IsTruncated: false,
      Marker: '',
      MaxItems: 1000,
    });
    answerTags();

    await expect(discoverHealthCheckIds(client, mixed)).resolves.toMatchObject({
      ids: {
        ...ALL_IDS,
        'ai-gateway-drill': {
          'us-east-1': 'hc-drill-use1',
          'us-west-2': '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69',
        },
      },
    });
  });

  it('lists what it could not find when a check is not there yet', async () => {
    route53.on(ListHealthChecksCommand).resolves({
      HealthChecks: CREATED.slice(0, 3).map((c) => check(c.id, c.host)),
      IsTruncated: false,
      Marker: '',
      MaxItems: 1000,
    });
    answerTags();

    const found = await discoverHealthCheckIds(client, config);

    expect(found.ids).toEqual({ 'ai-gateway': ALL_IDS['ai-gateway'] });
    expect(found.missing.filter((m) => !m.endsWith('(record)'))).toEqual([
      'ai-gateway-drill/us-east-1',
      'ai-gateway-drill/us-west-2',
    ]);
  });

  it('matches the endpoint whatever its case or trailing dot', async () => {
    route53.on(ListHealthChecksCommand).resolves({
      HealthChecks: [check('hc-gw-use1', 'USE1.Gateway.Example.com.')],
      IsTruncated: false,
      Marker: '',
      MaxItems: 1000,
    });
    answerTags();

    const found = await discoverHealthCheckIds(client, config);

    expect(found.ids['ai-gateway']).toEqual({ 'us-east-1': 'hc-gw-use1' });
  });

  it('throws naming both checks when two carry the tags of one application region', async () => {
    route53.on(ListHealthChecksCommand).resolves({
      HealthChecks: [check('hc-a', 'use1.gateway.example.com'), check('hc-b', 'use1.gateway.example.com')],
      IsTruncated: false,
      Marker: '',
      MaxItems: 1000,
    });
    route53.on(ListTagsForResourcesCommand).resolves({
      ResourceTagSets: [tags('hc-a', 'ai-gateway', 'us-east-1'), tags('hc-b', 'ai-gateway', 'us-east-1')],
    });

    await expect(discoverHealthCheckIds(client, config)).rejects.toThrow(
      'Route 53 health checks hc-a and hc-b are both tagged for ai-gateway in us-east-1',
    );
  });
});

describe('cachedHealthCheckIds', () => {
  function listEverything(): void {
    route53.on(ListHealthChecksCommand).resolves({
      HealthChecks: [...CREATED.map((c) => check(c.id, c.host)), ...RECORDS.map((c) => calculated(c.id))],
      IsTruncated: false,
      Marker: '',
      MaxItems: 1000,
    });
    answerTags();
  }

  it('looks the ids up once and reuses them when every check was found', async () => {
    listEverything();
    const ids = cachedHealthCheckIds(client, config);

    await expect(ids()).resolves.toEqual({ ids: ALL_IDS, recordIds: ALL_RECORD_IDS });
    await expect(ids()).resolves.toEqual({ ids: ALL_IDS, recordIds: ALL_RECORD_IDS });

    expect(route53.commandCalls(ListHealthChecksCommand)).toHaveLength(1);
  });

  it('shares one look-up between calls made while it runs', async () => {
    listEverything();
    const ids = cachedHealthCheckIds(client, config);

    await Promise.all([ids(), ids(), ids()]);

    expect(route53.commandCalls(ListHealthChecksCommand)).toHaveLength(1);
  });

  it('asks again on the next call when the look-up failed', async () => {
    const ids = cachedHealthCheckIds(client, config);
    route53
      .on(ListHealthChecksCommand)
      .rejectsOnce(new ThrottlingException({ $metadata: {}, message: 'Rate exceeded' }));

    await expect(ids()).rejects.toThrow('Rate exceeded');

    listEverything();
    await expect(ids()).resolves.toEqual({ ids: ALL_IDS, recordIds: ALL_RECORD_IDS });
    expect(route53.commandCalls(ListHealthChecksCommand)).toHaveLength(2);
  });

  it('serves a partial map but asks again on the next call when a check was missing', async () => {
    route53.on(ListHealthChecksCommand).resolves({
      HealthChecks: CREATED.slice(0, 3).map((c) => check(c.id, c.host)),
      IsTruncated: false,
      Marker: '',
      MaxItems: 1000,
    });
    answerTags();
    const ids = cachedHealthCheckIds(client, config);

    await expect(ids()).resolves.toEqual({ ids: { 'ai-gateway': ALL_IDS['ai-gateway'] }, recordIds: {} });
    listEverything();
    await expect(ids()).resolves.toEqual({ ids: ALL_IDS, recordIds: ALL_RECORD_IDS });
    await ids();

    expect(route53.commandCalls(ListHealthChecksCommand)).toHaveLength(2);
  });
});

describe('DiscoveringRoute53Dns', () => {
  it('reads a change without looking up the health checks', async () => {
    const ids = jest.fn(() => Promise.reject(new Error('Route 53 is down')));
    route53.on(GetChangeCommand).resolves({
      ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date(0) },
    });

    await expect(new DiscoveringRoute53Dns(new Route53Client({}), ids).getChangeStatus('C1')).resolves.toBe(
      'INSYNC',
    );
    expect(ids).not.toHaveBeenCalled();
  });
});
