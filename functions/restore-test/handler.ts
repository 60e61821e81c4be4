import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { RESTORE_TEST_FUNCTIONS, RestoreTestSteps } from '../../shared/backup/RestoreTestSteps.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { RdsSnapshots } from '../../shared/aws/RdsSnapshots.ts';
import { clientConfig, lambdaConfig, ledgerTableName, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { slackNotifier } from '../../shared/runtime/slackRuntime.ts';
import { stepHandler } from '../../shared/runtime/stepHandler.ts';

const FUNCTION = 'lifeboat-restore-test';
const logger = new Logger();
const tracer = new Tracer();
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient(clientConfig()));
const rdsIn = perRegion((region) => tracer.captureAWSv3Client(new RDSClient(clientConfig(region))));

/** The restore test: restores the latest copy into a temporary instance, checks it, deletes it, records. */
export const handler = stepHandler(
  FUNCTION,
  RESTORE_TEST_FUNCTIONS[FUNCTION],
  (deps) => new RestoreTestSteps(deps),
  {
    logger,
    tracer,
    ports: {
      backups: new RdsSnapshots(rdsIn),
      notifier: slackNotifier(
        lambdaConfig(),
        tracer.captureAWSv3Client(new SecretsManagerClient(clientConfig())),
      ).notifier,
    },
    ledger: new DynamoLedger(dynamo, ledgerTableName()),
  },
);
