import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  ThrottlingException,
} from '@aws-sdk/client-route-53';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { Route53Dns } from '../../shared/aws/Route53Dns.ts';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH } from '../support/exampleConfig.ts';

const route53 = mockClient(Route53Client);

const config = loadConfig(EXAMPLE_CONFIG_PATH);

function application(name: string): ApplicationConfig {
  const app = config.applications.find((a) => a.name === name);
  if (app === undefined) throw new Error(`the example config has no application ${name}`);
  return structuredClone(app);
}

/** `ai-gateway` with alias records to load balancers. */
const ALIAS_APP = application('ai-gateway');

/** `ai-gateway` rewritten to plain CNAME records, as a config without load balancers would have. */
const PLAIN_APP: ApplicationConfig = (() => {
  const app = application('ai-gateway');
  app.dns.recordType = 'CNAME';
  app.dns.ttlSeconds = 30;
  app.dns.records = {
    'us-east-1': { setIdentifier: 'ai-gateway-use1', value: 'use1.gateway.example.com' },
    'us-west-2': { setIdentifier: 'ai-gateway-usw2', value: 'usw2.gateway.example.com' },
    'eu-west-1': { setIdentifier: 'ai-gateway-euw1', value: 'euw1.gateway.example.com' },
  };
  return app;
})();

const HEALTH_CHECK_IDS = {
  'ai-gateway': {
    'us-east-1': '11111111-1111-4111-8111-111111111111',
    'us-west-2': '22222222-2222-4222-8222-222222222222',
    'eu-west-1': '33333333-3333-4333-8333-333333333333',
  },
  'ai-gateway-drill': {
    'us-east-1': '44444444-4444-4444-8444-444444444444',
  },
};

function dns(): Route53Dns {
  return new Route53Dns(new Route53Client({ region: 'us-east-1' }), HEALTH_CHECK_IDS);
}

/** A weighted alias record of `ai-gateway` as ListResourceRecordSets returns it. */
function listed(setIdentifier: string, weight: number, name = 'gateway.example.com.'): ResourceRecordSet {
  return {
    Name: name,
    Type: 'A',
    SetIdentifier: setIdentifier,
    Weight: weight,
    AliasTarget: {
      HostedZoneId: 'Z35SXDOTRQ7X7K',
      DNSName: `${setIdentifier}-1234567890.elb.amazonaws.com.`,
      EvaluateTargetHealth: false,
    },
    HealthCheckId: '11111111-1111-4111-8111-111111111111',
  };
}

const FIRST_LIST_INPUT = {
  HostedZoneId: 'Z0LIFEBOATEXAMPLE01',
  StartRecordName: 'gateway.example.com',
  StartRecordType: 'A',
};

function throttled(): ThrottlingException {
  return new ThrottlingException({ $metadata: {}, message: 'Rate exceeded' });
}

beforeEach(() => {
  route53.reset();
});

describe('Route53Dns', () => {
  describe('getWeights', () => {
    it('returns the weight of each region when one page holds every record', async () => {
      route53.on(ListResourceRecordSetsCommand).resolves({
        ResourceRecordSets: [
          listed('ai-gateway-euw1', 0),
          listed('ai-gateway-use1', 100),
          listed('ai-gateway-usw2', 0),
        ],
        IsTruncated: false,
        MaxItems: 300,
      });

      await expect(dns().getWeights(ALIAS_APP)).resolves.toEqual({
        'us-east-1': 100,
        'us-west-2': 0,
        'eu-west-1': 0,
      });
      expect(route53).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 1);
      expect(route53.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toEqual(FIRST_LIST_INPUT);
    });

    it('follows the next page when the listing is truncated within the same name and type', async () => {
      route53
        .on(ListResourceRecordSetsCommand)
        .resolvesOnce({
          ResourceRecordSets: [listed('ai-gateway-euw1', 10)],
          IsTruncated: true,
          NextRecordName: 'gateway.example.com.',
          NextRecordType: 'A',
          NextRecordIdentifier: 'ai-gateway-use1',
          MaxItems: 1,
        })
        .resolvesOnce({
          ResourceRecordSets: [listed('ai-gateway-use1', 90)],
          IsTruncated: true,
          NextRecordName: 'gateway.example.com.',
          NextRecordType: 'A',
          NextRecordIdentifier: 'ai-gateway-usw2',
          MaxItems: 1,
        })
        .resolvesOnce({
          ResourceRecordSets: [listed('ai-gateway-usw2', 0)],
          IsTruncated: false,
          MaxItems: 1,
        });

      await expect(dns().getWeights(ALIAS_APP)).resolves.toEqual({
        'us-east-1': 90,
        'us-west-2': 0,
        'eu-west-1': 10,
      });
      expect(route53).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 3);
      const inputs = route53.commandCalls(ListResourceRecordSetsCommand).map((call) => call.args[0].input);
      expect(inputs).toEqual([
        FIRST_LIST_INPUT,
        {
          HostedZoneId: 'Z0LIFEBOATEXAMPLE01',
          StartRecordName: 'gateway.example.com.',
          StartRecordType: 'A',
          StartRecordIdentifier: 'ai-gateway-use1',
        },
        {
          HostedZoneId: 'Z0LIFEBOATEXAMPLE01',
          StartRecordName: 'gateway.example.com.',
          StartRecordType: 'A',
          StartRecordIdentifier: 'ai-gateway-usw2',
        },
      ]);
    });

    it('stops paging when the next page starts at another record name', async () => {
      route53.on(ListResourceRecordSetsCommand).resolves({
        ResourceRecordSets: [
          listed('ai-gateway-euw1', 0),
          listed('ai-gateway-use1', 100),
          listed('ai-gateway-usw2', 0),
        ],
        IsTruncated: true,
        NextRecordName: 'usw2.gateway.example.com.',
        NextRecordType: 'A',
        MaxItems: 3,
      });

      await expect(dns().getWeights(ALIAS_APP)).resolves.toEqual({
        'us-east-1': 100,
        'us-west-2': 0,
        'eu-west-1': 0,
      });
      expect(route53).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 1);
    });

    it('stops paging when a page already reached another record type', async () => {
      route53.on(ListResourceRecordSetsCommand).resolves({
        ResourceRecordSets: [
          listed('ai-gateway-euw1', 0),
          listed('ai-gateway-use1', 100),
          listed('ai-gateway-usw2', 0),
          { Name: 'gateway.example.com.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"v=1"' }] },
        ],
        IsTruncated: true,
        NextRecordName: 'www.example.com.',
        NextRecordType: 'A',
        MaxItems: 4,
      });

      await expect(dns().getWeights(ALIAS_APP)).resolves.toEqual({
        'us-east-1': 100,
        'us-west-2': 0,
        'eu-west-1': 0,
      });
      expect(route53).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 1);
    });

    it('matches names case-insensitively, with or without the trailing dot, and with \\052 for a wildcard', async () => {
      const wildcard = application('ai-gateway');
      wildcard.dns.recordName = '*.Gateway.Example.com';
      route53.on(ListResourceRecordSetsCommand).resolves({
        ResourceRecordSets: [
          listed('ai-gateway-euw1', 5, '\\052.gateway.example.com.'),
          listed('ai-gateway-use1', 250, '\\052.gateway.example.com.'),
          listed('ai-gateway-usw2', 1, '\\052.gateway.example.com.'),
        ],
        IsTruncated: false,
        MaxItems: 300,
      });

      await expect(dns().getWeights(wildcard)).resolves.toEqual({
        'us-east-1': 250,
        'us-west-2': 1,
        'eu-west-1': 5,
      });
      expect(route53.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toEqual({
        HostedZoneId: 'Z0LIFEBOATEXAMPLE01',
        StartRecordName: '*.Gateway.Example.com',
        StartRecordType: 'A',
      });
    });

    it('keeps paging when the truncation points at the same name written differently', async () => {
      route53
        .on(ListResourceRecordSetsCommand)
        .resolvesOnce({
          ResourceRecordSets: [listed('ai-gateway-euw1', 0), listed('ai-gateway-use1', 100)],
          IsTruncated: true,
          NextRecordName: 'GATEWAY.example.com',
          NextRecordType: 'A',
          NextRecordIdentifier: 'ai-gateway-usw2',
          MaxItems: 2,
        })
        .resolvesOnce({
          ResourceRecordSets: [listed('ai-gateway-usw2', 0)],
          IsTruncated: false,
          MaxItems: 2,
        });

      await expect(dns().getWeights(ALIAS_APP)).resolves.toEqual({
        'us-east-1': 100,
        'us-west-2': 0,
        'eu-west-1': 0,
      });
      expect(route53.commandCalls(ListResourceRecordSetsCommand)[1]!.args[0].input).toEqual({
        HostedZoneId: 'Z0LIFEBOATEXAMPLE01',
        StartRecordName: 'GATEWAY.example.com',
        StartRecordType: 'A',
        StartRecordIdentifier: 'ai-gateway-usw2',
      });
    });

    it('reads plain records the same way as alias records', async () => {
      route53.on(ListResourceRecordSetsCommand).resolves({
        ResourceRecordSets: [
          { Name: 'gateway.example.com.', Type: 'CNAME', SetIdentifier: 'ai-gateway-euw1', Weight: 0 },
          { Name: 'gateway.example.com.', Type: 'CNAME', SetIdentifier: 'ai-gateway-use1', Weight: 0 },
          { Name: 'gateway.example.com.', Type: 'CNAME', SetIdentifier: 'ai-gateway-usw2', Weight: 100 },
        ],
        IsTruncated: false,
        MaxItems: 300,
      });

      await expect(dns().getWeights(PLAIN_APP)).resolves.toEqual({
        'us-east-1': 0,
        'us-west-2': 100,
        'eu-west-1': 0,
      });
      expect(route53.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toEqual({
        HostedZoneId: 'Z0LIFEBOATEXAMPLE01',
        StartRecordName: 'gateway.example.com',
        StartRecordType: 'CNAME',
      });
    });

    it('throws naming the set identifier when a configured region has no record', async () => {
      route53.on(ListResourceRecordSetsCommand).resolves({
        ResourceRecordSets: [
          listed('ai-gateway-euw1', 0),
          listed('ai-gateway-use1', 100),
          listed('ai-gateway-usw2-old', 0),
          listed('ai-gateway-usw2', 0, 'other.gateway.example.com.'),
        ],
        IsTruncated: false,
        MaxItems: 300,
      });

      await expect(dns().getWeights(ALIAS_APP)).rejects.toThrow(
        'Route 53 zone Z0LIFEBOATEXAMPLE01 has no A record gateway.example.com with set identifier ai-gateway-usw2 (ai-gateway in us-west-2)',
      );
    });

    it('throws when the record with the set identifier has no weight', async () => {
      route53.on(ListResourceRecordSetsCommand).resolves({
        ResourceRecordSets: [
          listed('ai-gateway-euw1', 0),
          { ...listed('ai-gateway-use1', 0), Weight: undefined, Failover: 'PRIMARY' },
          listed('ai-gateway-usw2', 0),
        ],
        IsTruncated: false,
        MaxItems: 300,
      });

      await expect(dns().getWeights(ALIAS_APP)).rejects.toThrow(
        'Route 53 A record gateway.example.com with set identifier ai-gateway-use1 (ai-gateway in us-east-1) is not a weighted record',
      );
    });

    it('propagates an SDK error unchanged when Route 53 throttles', async () => {
      const error = throttled();
      route53.on(ListResourceRecordSetsCommand).rejects(error);

      const thrown = await dns()
        .getWeights(ALIAS_APP)
        .catch((e: unknown) => e);
      expect(thrown).toBe(error);
      expect(thrown).toHaveProperty('name', 'ThrottlingException');
    });
  });

  describe('setWeights', () => {
    const CHANGE_OUTPUT = {
      ChangeInfo: {
        Id: '/change/C2682N5HXP0BZ4',
        Status: 'PENDING' as const,
        SubmittedAt: new Date('2026-11-22T06:00:00.000Z'),
      },
    };

    it('upserts each named alias record whole with its health check in one change batch', async () => {
      route53.on(ChangeResourceRecordSetsCommand).resolves(CHANGE_OUTPUT);

      await expect(
        dns().setWeights(
          ALIAS_APP,
          { 'us-east-1': 0, 'us-west-2': 255 },
          { force: false, by: 'failover-ai-gateway-0001' },
        ),
      ).resolves.toBe('C2682N5HXP0BZ4');

      expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
      expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input).toEqual({
        HostedZoneId: 'Z0LIFEBOATEXAMPLE01',
        ChangeBatch: {
          Comment: 'Lifeboat failover-ai-gateway-0001: us-east-1=0, us-west-2=255',
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: 'gateway.example.com',
                Type: 'A',
                SetIdentifier: 'ai-gateway-use1',
                Weight: 0,
                HealthCheckId: '11111111-1111-4111-8111-111111111111',
                AliasTarget: {
                  HostedZoneId: 'Z35SXDOTRQ7X7K',
                  DNSName: 'ai-gateway-use1-1234567890.us-east-1.elb.amazonaws.com',
                  EvaluateTargetHealth: false,
                },
              },
            },
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: 'gateway.example.com',
                Type: 'A',
                SetIdentifier: 'ai-gateway-usw2',
                Weight: 255,
                HealthCheckId: '22222222-2222-4222-8222-222222222222',
                AliasTarget: {
                  HostedZoneId: 'Z1H1FL5HABSF5',
                  DNSName: 'ai-gateway-usw2-1234567890.us-west-2.elb.amazonaws.com',
                  EvaluateTargetHealth: false,
                },
              },
            },
          ],
        },
      });
      expect(route53).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 0);
    });

    it('upserts plain records with the TTL and value when the config has no alias target', async () => {
      route53.on(ChangeResourceRecordSetsCommand).resolves(CHANGE_OUTPUT);

      await expect(
        dns().setWeights(PLAIN_APP, { 'eu-west-1': 25 }, { force: false, by: 'failback-ai-gateway-0002' }),
      ).resolves.toBe('C2682N5HXP0BZ4');

      expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input).toEqual({
        HostedZoneId: 'Z0LIFEBOATEXAMPLE01',
        ChangeBatch: {
          Comment: 'Lifeboat failback-ai-gateway-0002: eu-west-1=25',
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: 'gateway.example.com',
                Type: 'CNAME',
                SetIdentifier: 'ai-gateway-euw1',
                Weight: 25,
                HealthCheckId: '33333333-3333-4333-8333-333333333333',
                TTL: 30,
                ResourceRecords: [{ Value: 'euw1.gateway.example.com' }],
              },
            },
          ],
        },
      });
    });

    it('sends the same request when the change is forced', async () => {
      route53.on(ChangeResourceRecordSetsCommand).resolves(CHANGE_OUTPUT);
      const weights = { 'us-east-1': 100, 'us-west-2': 0, 'eu-west-1': 0 };

      await dns().setWeights(ALIAS_APP, weights, { force: false, by: 'failover-ai-gateway-0003' });
      await dns().setWeights(ALIAS_APP, weights, { force: true, by: 'failover-ai-gateway-0003' });

      const [unforced, forced] = route53
        .commandCalls(ChangeResourceRecordSetsCommand)
        .map((call) => call.args[0].input);
      expect(forced).toEqual(unforced);
      expect(forced?.ChangeBatch?.Comment).toBe(
        'Lifeboat failover-ai-gateway-0003: us-east-1=100, us-west-2=0, eu-west-1=0',
      );
    });

    it('truncates the comment to 256 characters when the run name is long', async () => {
      route53.on(ChangeResourceRecordSetsCommand).resolves(CHANGE_OUTPUT);
      const by = 'x'.repeat(300);

      await dns().setWeights(ALIAS_APP, { 'us-east-1': 1 }, { force: false, by });

      const comment = route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch
        ?.Comment;
      expect(comment).toBe(`Lifeboat ${'x'.repeat(244)}...`);
      expect(comment).toHaveLength(256);
    });

    it('returns a change id that has no /change/ prefix unchanged', async () => {
      route53.on(ChangeResourceRecordSetsCommand).resolves({
        ChangeInfo: { ...CHANGE_OUTPUT.ChangeInfo, Id: 'C0000000000001' },
      });

      await expect(
        dns().setWeights(ALIAS_APP, { 'us-east-1': 1 }, { force: false, by: 'run' }),
      ).resolves.toBe('C0000000000001');
    });

    it.each([-1, 256, 12.5, Number.NaN, Number.POSITIVE_INFINITY])(
      'rejects a weight of %p and sends nothing',
      async (weight) => {
        await expect(
          dns().setWeights(ALIAS_APP, { 'us-east-1': 0, 'us-west-2': weight }, { force: false, by: 'run' }),
        ).rejects.toThrow(`Weight ${weight} for ai-gateway in us-west-2 is not an integer from 0 to 255`);
        expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
      },
    );

    it('rejects a region with no configured record and sends nothing', async () => {
      await expect(
        dns().setWeights(ALIAS_APP, { 'us-east-1': 0, 'ap-south-1': 100 }, { force: false, by: 'run' }),
      ).rejects.toThrow('ai-gateway has no DNS record configured for ap-south-1');
      expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
    });

    it('rejects empty weights and sends nothing', async () => {
      await expect(dns().setWeights(ALIAS_APP, {}, { force: false, by: 'run' })).rejects.toThrow(
        'No weights given for ai-gateway; name at least one region',
      );
      expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
    });

    it('rejects a region with no health check id and sends nothing', async () => {
      await expect(
        dns().setWeights(
          application('ai-gateway-drill'),
          { 'us-east-1': 0, 'us-west-2': 100 },
          { force: false, by: 'run' },
        ),
      ).rejects.toThrow('No Route 53 health check id for ai-gateway-drill in us-west-2');
      expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 0);
    });

    it('propagates an SDK error unchanged when the change batch is rejected', async () => {
      const error = throttled();
      route53.on(ChangeResourceRecordSetsCommand).rejects(error);

      const thrown = await dns()
        .setWeights(ALIAS_APP, { 'us-east-1': 0 }, { force: false, by: 'run' })
        .catch((e: unknown) => e);
      expect(thrown).toBe(error);
      expect(thrown).toHaveProperty('name', 'ThrottlingException');
    });
  });

  describe('getChangeStatus', () => {
    it.each(['PENDING', 'INSYNC'] as const)('returns %s when Route 53 reports it', async (status) => {
      route53.on(GetChangeCommand).resolves({
        ChangeInfo: { Id: '/change/C2682N5HXP0BZ4', Status: status, SubmittedAt: new Date() },
      });

      await expect(dns().getChangeStatus('C2682N5HXP0BZ4')).resolves.toBe(status);
      expect(route53).toHaveReceivedCommandTimes(GetChangeCommand, 1);
      expect(route53.commandCalls(GetChangeCommand)[0]!.args[0].input).toEqual({ Id: 'C2682N5HXP0BZ4' });
    });

    it('propagates an SDK error unchanged when Route 53 throttles', async () => {
      const error = throttled();
      route53.on(GetChangeCommand).rejects(error);

      const thrown = await dns()
        .getChangeStatus('C2682N5HXP0BZ4')
        .catch((e: unknown) => e);
      expect(thrown).toBe(error);
      expect(thrown).toHaveProperty('name', 'ThrottlingException');
    });
  });
});
