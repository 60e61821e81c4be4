import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { RESTORE_TEST_FUNCTIONS, RestoreTestSteps } from '../../shared/backup/RestoreTestSteps.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { RdsSnapshots } from '../../shared/aws/RdsSnapshots.ts';
import { clientConfig, lambdaConfig, ledgerTableName, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { slackNotifier } from '../../shared/runtime/slackRuntime.ts';
import { stepHandler } from '../../shared/runtime/stepHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-restore-test';
const logger = new Logger();
const tracing = await functionTracing();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
const rdsIn = perRegion((region) => tracing.client(new RDSClient(clientConfig(region))));

/** The restore test: restores the latest copy into a temporary instance, checks it, deletes it, records. */
export const handler = stepHandler(
  FUNCTION,
  RESTORE_TEST_FUNCTIONS[FUNCTION],
  (deps) => new RestoreTestSteps(deps),
  {
    logger,
    tracing,
    ports: {
      backups: new RdsSnapshots(rdsIn),
      notifier: slackNotifier(lambdaConfig(), tracing.client(new SecretsManagerClient(clientConfig())))
        .notifier,
    },
    ledger: new DynamoLedger(dynamo, ledgerTableName()),
  },
);
