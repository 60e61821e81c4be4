import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { RDSClient } from '@aws-sdk/client-rds';
import { CloudWatchMetrics } from '../../shared/aws/CloudWatchMetrics.ts';
import { ElastiCacheStores } from '../../shared/aws/ElastiCacheStores.ts';
import { engineDatabases, lazyEksAccess } from '../../shared/aws/EngineDatabases.ts';
import { clientConfig, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-database';
const logger = new Logger();
const tracing = await functionTracing();
const cloudWatchIn = perRegion((region) => tracing.client(new CloudWatchClient(clientConfig(region))));
const rdsIn = perRegion((region) => tracing.client(new RDSClient(clientConfig(region))));
const elastiCacheIn = perRegion((region) => tracing.client(new ElastiCacheClient(clientConfig(region))));

/** PromoteDatabase and CheckDatabase: the target's database and stores made the writers, and their status. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracing,
  ports: {
    database: engineDatabases({
      rds: rdsIn,
      eks: lazyEksAccess((Client, region) => tracing.client(new Client(clientConfig(region)))),
    }),
    metrics: new CloudWatchMetrics(cloudWatchIn),
    stores: new ElastiCacheStores(elastiCacheIn, cloudWatchIn),
  },
});
