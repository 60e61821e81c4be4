import type { EKSClient } from '@aws-sdk/client-eks';
import type { RDSClient } from '@aws-sdk/client-rds';
import { CloudNativePgClusters } from './CloudNativePgClusters.ts';
import { CloudNativePgDatabase } from './CloudNativePgDatabase.ts';
import { EksKubernetesApi, type EksKubernetesOptions } from './KubernetesApi.ts';
import { RdsDatabase } from './RdsDatabase.ts';
import type { ApplicationConfig } from '../config/LifeboatConfig.ts';
import type { DatabasePort } from '../ports/Estate.ts';
import { perRegion } from '../runtime/lambdaEstate.ts';

/**
 * One database port over the engines: an application's calls go to the adapter of its
 * `database.engine` (RDS and Aurora to `rds`, CloudNativePG to `cloudnativepg`). A function whose
 * config has no application of an engine is given no adapter for it, nor the permissions.
 */
export class EngineDatabases implements DatabasePort {
  readonly #rds: DatabasePort | undefined;
  readonly #cloudnativepg: DatabasePort | undefined;

  constructor(adapters: { readonly rds?: DatabasePort; readonly cloudnativepg?: DatabasePort }) {
    this.#rds = adapters.rds;
    this.#cloudnativepg = adapters.cloudnativepg;
  }

  #for(app: ApplicationConfig): DatabasePort {
    const cnpg = app.database.engine === 'cloudnativepg';
    const adapter = cnpg ? this.#cloudnativepg : this.#rds;
    if (adapter === undefined) {
      throw new Error(
        `no ${cnpg ? 'CloudNativePG' : 'RDS'} adapter was given for ${app.name}'s ${app.database.engine} database`,
      );
    }
    return adapter;
  }

  describe: DatabasePort['describe'] = async (app, ...rest) => this.#for(app).describe(app, ...rest);
  promote: DatabasePort['promote'] = async (app, ...rest) => this.#for(app).promote(app, ...rest);
  retire: DatabasePort['retire'] = async (app, ...rest) => this.#for(app).retire(app, ...rest);
  createReplica: DatabasePort['createReplica'] = async (app, ...rest) =>
    this.#for(app).createReplica(app, ...rest);
  replicaProblem: DatabasePort['replicaProblem'] = async (app, ...rest) =>
    this.#for(app).replicaProblem(app, ...rest);
  quarantine: DatabasePort['quarantine'] = async (app, ...rest) => this.#for(app).quarantine(app, ...rest);
  reboot: DatabasePort['reboot'] = async (app, ...rest) => this.#for(app).reboot(app, ...rest);
  follow: DatabasePort['follow'] = async (app, ...rest) => this.#for(app).follow(app, ...rest);
  fence: DatabasePort['fence'] = async (app, ...rest) => this.#for(app).fence(app, ...rest);
}

/**
 * The database port of a function: RDS and Aurora through RdsDatabase, CloudNativePG through its
 * Clusters on the regions' EKS API servers (CloudNativePgDatabase). The CloudNativePG adapter, with
 * its EKS client and credentials (`eks`), is made on its first call: a function of RDS and Aurora
 * applications never loads the EKS SDK.
 */
export function engineDatabases(options: {
  readonly rds: (region: string) => RDSClient;
  readonly eks: () => Promise<EksKubernetesOptions>;
}): EngineDatabases {
  return new EngineDatabases({
    rds: new RdsDatabase(options.rds),
    cloudnativepg: deferred(
      async () =>
        new CloudNativePgDatabase(new CloudNativePgClusters(new EksKubernetesApi(await options.eks()))),
    ),
  });
}

/**
 * The EKS access of a function, made on first use: the SDK client (`make`, which wraps it for
 * tracing) per region and the default credential chain, both imported then.
 */
export function lazyEksAccess(
  make: (Client: typeof EKSClient, region: string) => EKSClient,
): () => Promise<EksKubernetesOptions> {
  let access: Promise<EksKubernetesOptions> | undefined;
  return () =>
    (access ??= Promise.all([
      import('@aws-sdk/client-eks'),
      import('@aws-sdk/credential-provider-node'),
    ]).then(([sdk, credentials]) => ({
      clientFor: perRegion((region) => make(sdk.EKSClient, region)),
      credentials: credentials.defaultProvider(),
    })));
}

/** A port whose every method waits for `load` (once) and calls the port it gives. */
function deferred<P extends object>(load: () => Promise<P>): P {
  let port: Promise<P> | undefined;
  return new Proxy({} as P, {
    get: (_, key) =>
      typeof key !== 'string' || key === 'then'
        ? undefined
        : async (...args: unknown[]): Promise<unknown> => {
            const loaded = (await (port ??= load())) as Record<string, (...a: unknown[]) => unknown>;
            return loaded[key]?.(...args);
          },
  });
}
