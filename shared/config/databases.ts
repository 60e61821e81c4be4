import type { ApplicationConfig } from './LifeboatConfig.ts';

/**
 * The identifier of the application's database in `region`: its DB instance, its Aurora cluster, or
 * its CloudNativePG Cluster's name.
 */
export function databaseId(app: ApplicationConfig, region: string): string | undefined {
  const database = app.database;
  switch (database.engine) {
    case 'rds-read-replica':
      return database.instances[region];
    case 'aurora-global':
      return database.clusters[region];
    case 'cloudnativepg':
      return database.clusters[region]?.name;
  }
}

/** The database in `region` as messages name it: its kind and its identifier. */
export function databaseLabel(app: ApplicationConfig, region: string): string {
  const database = app.database;
  switch (database.engine) {
    case 'rds-read-replica':
      return `RDS instance ${database.instances[region] ?? '?'}`;
    case 'aurora-global':
      return `Aurora cluster ${database.clusters[region] ?? '?'} of global cluster ${database.globalClusterIdentifier}`;
    case 'cloudnativepg': {
      const cluster = database.clusters[region];
      return `CloudNativePG cluster ${cluster === undefined ? '?' : `${cluster.namespace}/${cluster.name}`}`;
    }
  }
}

/** What a person does to bring a former primary back as a replica cluster. */
export function recloneText(app: ApplicationConfig, region: string): string {
  const cluster = app.database.engine === 'cloudnativepg' ? app.database.clusters[region] : undefined;
  const name = cluster === undefined ? region : `${cluster.namespace}/${cluster.name}`;
  return `CloudNativePG cluster ${name} in ${region} is not a replica: a former primary must be re-cloned as a replica cluster of the writer before it rejoins (CloudNativePG keeps no way back for a primary that was failed away from; docs/cloudnativepg.md, "Re-cloning a former primary")`;
}
