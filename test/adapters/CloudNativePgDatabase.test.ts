import { fileURLToPath } from 'node:url';
import { CloudNativePgClusters, type KubernetesCaller } from '../../shared/aws/CloudNativePgClusters.ts';
import { CloudNativePgDatabase } from '../../shared/aws/CloudNativePgDatabase.ts';
import { EngineDatabases } from '../../shared/aws/EngineDatabases.ts';
import { KubernetesApiError } from '../../shared/aws/KubernetesApi.ts';
import { loadConfig } from '../../shared/config/loadConfig.ts';
import { DatabaseBusyError } from '../../shared/errors.ts';
import type { DatabasePort } from '../../shared/ports/Estate.ts';

const APP = loadConfig(fileURLToPath(new URL('../../examples/cloudnativepg.config.json', import.meta.url)))
  .applications[0]!;
const PATH = (name: string) => `/apis/postgresql.cnpg.io/v1/namespaces/ai-gateway/clusters/${name}`;
const EKS = {
  'us-east-1': 'ai-gateway-pg-use1',
  'us-west-2': 'ai-gateway-pg-usw2',
  'eu-west-1': 'ai-gateway-pg-euw1',
};

type Spec = Record<string, unknown>;
interface Member {
  replica: Spec;
  status: Record<string, unknown>;
  annotations?: Record<string, string>;
  /** Whether its primary instance is out of recovery; by default, whether its spec names it primary. */
  promoted?: boolean;
}

/**
 * A stand-in for the three clusters' API servers: each Cluster as its spec and status are, every
 * request remembered as `<region> <method> <name> [<body>]`; a merge patch merges into the spec.
 */
function topology(members: Record<string, Member>) {
  const calls: string[] = [];
  const caller: KubernetesCaller = {
    call: (region, eksCluster, method, path, body) => {
      const name = path.split('/').at(-1) ?? '';
      calls.push(`${region} ${method} ${name}${body === undefined ? '' : ` ${body}`}`);
      const member = members[name];
      if (member === undefined || EKS[region as keyof typeof EKS] !== eksCluster || path !== PATH(name))
        return Promise.reject(
          new KubernetesApiError('NotFound', 404, `clusters.postgresql.cnpg.io "${name}" not found`),
        );
      if (method === 'PATCH') {
        const patch = JSON.parse(body ?? '{}') as {
          spec?: { replica?: Spec };
          metadata?: { annotations?: Record<string, string> };
        };
        member.replica = Object.fromEntries(
          Object.entries({ ...member.replica, ...patch.spec?.replica }).filter(([, v]) => v !== null),
        );
        if (patch.metadata?.annotations !== undefined)
          member.annotations = { ...member.annotations, ...patch.metadata.annotations };
      }
      return Promise.resolve({
        metadata: {
          name,
          namespace: 'ai-gateway',
          ...(member.annotations === undefined ? {} : { annotations: member.annotations }),
        },
        spec: { replica: member.replica },
        status: {
          phase: 'Cluster in healthy state',
          conditions: [{ type: 'Ready', status: 'True' }],
          currentPrimary: `${name}-1`,
          instancesReportedState: {
            [`${name}-1`]: { isPrimary: member.promoted ?? member.replica['primary'] === name },
          },
          ...member.status,
        },
      });
    },
  };
  return { database: new CloudNativePgDatabase(new CloudNativePgClusters(caller)), calls, members };
}

function healthy(): Record<string, Member> {
  return {
    'pg-use1': { replica: { primary: 'pg-use1', source: 'pg-usw2' }, status: {} },
    'pg-usw2': { replica: { primary: 'pg-use1', source: 'pg-use1' }, status: {} },
    'pg-euw1': { replica: { primary: 'pg-use1', source: 'pg-use1' }, status: {} },
  };
}

describe('CloudNativePgDatabase', () => {
  it("reads each member's role by CloudNativePG's rule and its source region from spec.replica.source", async () => {
    const { database } = topology(healthy());
    await expect(database.describe(APP, 'us-east-1')).resolves.toEqual({
      role: 'writer',
      available: true,
      sourceRegion: undefined,
    });
    await expect(database.describe(APP, 'us-west-2')).resolves.toEqual({
      role: 'replica',
      available: true,
      sourceRegion: 'us-east-1',
    });
  });

  it('is not available while fenced, waiting for its token or switching', async () => {
    const members = healthy();
    members['pg-use1']!.annotations = { 'cnpg.io/fencedInstances': '["*"]' };
    members['pg-usw2']!.status = { phase: 'Promoting to primary cluster' };
    members['pg-euw1']!.status = { switchReplicaClusterStatus: { inProgress: true } };
    const { database } = topology(members);
    await expect(database.describe(APP, 'us-east-1')).resolves.toMatchObject({
      role: 'writer',
      available: false,
    });
    await expect(database.describe(APP, 'us-west-2')).resolves.toMatchObject({ available: false });
    await expect(database.describe(APP, 'eu-west-1')).resolves.toMatchObject({ available: false });
  });

  it('promotes unplanned with one patch naming the member primary and no token, once, and is writable only once its instance is out of recovery', async () => {
    const { database, calls, members } = topology(healthy());
    members['pg-usw2']!.promoted = false;
    await expect(database.promote(APP, 'us-west-2', { planned: false, by: 'automatic' })).resolves.toBe(
      'started',
    );
    // One read decides, one patch acts.
    expect(calls).toEqual([
      'us-west-2 GET pg-usw2',
      'us-west-2 PATCH pg-usw2 {"spec":{"replica":{"primary":"pg-usw2","promotionToken":null,"enabled":null}}}',
    ]);
    // The phase stays healthy through a promotion without a token: not writable until the instance says so.
    await expect(database.describe(APP, 'us-west-2')).resolves.toEqual({
      role: 'writer',
      available: false,
      sourceRegion: undefined,
    });
    members['pg-usw2']!.promoted = true;
    await expect(database.describe(APP, 'us-west-2')).resolves.toMatchObject({ available: true });
    calls.length = 0;
    await expect(database.promote(APP, 'us-west-2', { planned: false, by: 'automatic' })).resolves.toBe(
      'already-promoted',
    );
    expect(calls.filter((c) => c.includes('PATCH'))).toEqual([]);
  });

  it('switches over planned: demotes the source, waits for its token, then promotes the target with it in one patch', async () => {
    const { database, calls, members } = topology(healthy());
    const planned = { planned: true, by: 'switchover:run-1', from: 'us-east-1' };
    // The demotion is asked; no token yet, so the caller asks again.
    await expect(database.promote(APP, 'us-west-2', planned)).rejects.toBeInstanceOf(DatabaseBusyError);
    expect(calls).toEqual([
      'us-west-2 GET pg-usw2',
      'us-east-1 GET pg-use1',
      'us-east-1 PATCH pg-use1 {"spec":{"replica":{"primary":"pg-usw2","source":"pg-usw2","promotionToken":null,"enabled":null}}}',
      'us-east-1 GET pg-use1',
    ]);
    // Asked again before the operator has even marked the switch: found demoted, not demoted twice.
    calls.length = 0;
    await expect(database.promote(APP, 'us-west-2', planned)).rejects.toThrow(
      'pg-use1 in us-east-1 is being demoted and takes no writes; pg-usw2 is promoted with its demotion token once CloudNativePG has written it',
    );
    expect(calls.filter((c) => c.includes('PATCH'))).toEqual([]);
    members['pg-use1']!.status = { switchReplicaClusterStatus: { inProgress: true } };
    await expect(database.promote(APP, 'us-west-2', planned)).rejects.toBeInstanceOf(DatabaseBusyError);
    members['pg-use1']!.status = { demotionToken: 'dG9rZW4=' };
    calls.length = 0;
    await expect(database.promote(APP, 'us-west-2', planned)).resolves.toBe('started');
    expect(calls.filter((c) => c.includes('PATCH'))).toEqual([
      'us-west-2 PATCH pg-usw2 {"spec":{"replica":{"primary":"pg-usw2","promotionToken":"dG9rZW4=","enabled":null}}}',
    ]);
    await expect(database.promote(APP, 'us-west-2', planned)).resolves.toBe('already-promoted');
  });

  it("never takes another member's token: switching from a replica cluster that does not give way to the target is refused", async () => {
    const members = healthy();
    // pg-euw1 holds an old demotion token, and its spec names pg-use1: it is not what pg-usw2 takes over from.
    members['pg-euw1']!.status = { demotionToken: 'b2xk' };
    const { database, calls } = topology(members);
    await expect(
      database.promote(APP, 'us-west-2', { planned: true, by: 'failback:x', from: 'eu-west-1' }),
    ).rejects.toThrow(
      'pg-euw1 in eu-west-1 is a replica cluster of pg-use1, not the primary pg-usw2 takes over from',
    );
    expect(calls.filter((c) => c.includes('PATCH'))).toEqual([]);
  });

  it('refuses a Cluster that names itself otherwise in the topology (spec.replica.self), saying the fix', async () => {
    const members = healthy();
    members['pg-usw2']!.replica = { ...members['pg-usw2']!.replica, self: 'west' };
    const { database } = topology(members);
    await expect(database.describe(APP, 'us-west-2')).rejects.toThrow(
      "ai-gateway/pg-usw2 in us-west-2 calls itself west in the topology (spec.replica.self); Lifeboat names members by their Cluster's name: remove spec.replica.self or set it to pg-usw2",
    );
  });

  it('re-points a replica cluster at the writer, once', async () => {
    const { database, calls } = topology(healthy());
    await expect(database.follow(APP, 'eu-west-1', 'us-west-2')).resolves.toBe('started');
    await expect(database.follow(APP, 'eu-west-1', 'us-west-2')).resolves.toBe('already');
    expect(calls.filter((c) => c.includes('PATCH'))).toEqual([
      'eu-west-1 PATCH pg-euw1 {"spec":{"replica":{"primary":"pg-usw2","source":"pg-usw2","promotionToken":null,"enabled":null}}}',
    ]);
    // A primary is never re-pointed: it may hold writes the writer lacks.
    await expect(database.follow(APP, 'us-east-1', 'us-west-2')).rejects.toThrow(
      /is a primary, not a replica cluster/,
    );
  });

  it('fences every instance of a returning old primary, once', async () => {
    const { database, calls } = topology(healthy());
    await expect(database.fence(APP, 'us-east-1')).resolves.toBe('fenced');
    await expect(database.fence(APP, 'us-east-1')).resolves.toBe('already');
    expect(calls.filter((c) => c.includes('PATCH'))).toEqual([
      'us-east-1 PATCH pg-use1 {"metadata":{"annotations":{"cnpg.io/fencedInstances":"[\\"*\\"]"}}}',
    ]);
  });

  it('never renames or rebuilds a cluster: a former primary is re-cloned by a person, and the refusal says so', async () => {
    const { database: adapter, calls } = topology(healthy());
    const database: DatabasePort = adapter;
    await expect(database.retire(APP, 'us-east-1', 'x')).rejects.toThrow(
      /must be re-cloned as a replica cluster/,
    );
    await expect(database.createReplica(APP, 'us-east-1', 'us-west-2')).rejects.toThrow(/re-cloned/);
    await expect(database.replicaProblem(APP, 'us-east-1', 'us-west-2')).resolves.toMatch(/re-cloned/);
    await expect(database.replicaProblem(APP, 'eu-west-1', 'us-west-2')).resolves.toBeUndefined();
    expect(calls.filter((c) => c.includes('PATCH'))).toEqual([]);
  });
});

describe('EngineDatabases', () => {
  it("sends each application's calls to its engine's adapter, and names a missing one", async () => {
    const seen: string[] = [];
    const port = (name: string) =>
      new Proxy({} as DatabasePort, {
        get: (_, member) => (app: { name: string }) => {
          seen.push(`${name}.${String(member)} ${app.name}`);
          return Promise.resolve(undefined);
        },
      });
    const both = new EngineDatabases({ rds: port('rds'), cloudnativepg: port('cnpg') });
    await both.describe(APP, 'us-east-1');
    await both.fence(APP, 'us-east-1');
    expect(seen).toEqual(['cnpg.describe ai-gateway-pg', 'cnpg.fence ai-gateway-pg']);
    await expect(new EngineDatabases({ rds: port('rds') }).describe(APP, 'us-east-1')).rejects.toThrow(
      "no CloudNativePG adapter was given for ai-gateway-pg's cloudnativepg database",
    );
  });
});
