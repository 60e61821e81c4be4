import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { CloudWatchMetrics } from '../../shared/aws/CloudWatchMetrics.ts';
import { RdsDatabase } from '../../shared/aws/RdsDatabase.ts';
import { clientConfig, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';

const FUNCTION = 'lifeboat-database';
const logger = new Logger();
const tracer = new Tracer();
const cloudWatchIn = perRegion((region) =>
  tracer.captureAWSv3Client(new CloudWatchClient(clientConfig(region))),
);
const rdsIn = perRegion((region) => tracer.captureAWSv3Client(new RDSClient(clientConfig(region))));

/** PromoteDatabase and CheckDatabase: the target's database made the writer, and its status. */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracer,
  ports: {
    database: new RdsDatabase(rdsIn),
    metrics: new CloudWatchMetrics(cloudWatchIn),
  },
});
