import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { BACKUP_FUNCTIONS, BackupSteps } from '../../shared/backup/BackupSteps.ts';
import { DynamoLedger } from '../../shared/aws/DynamoLedger.ts';
import { RdsDatabase } from '../../shared/aws/RdsDatabase.ts';
import { RdsSnapshots } from '../../shared/aws/RdsSnapshots.ts';
import { clientConfig, lambdaConfig, ledgerTableName, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { slackNotifier } from '../../shared/runtime/slackRuntime.ts';
import { stepHandler } from '../../shared/runtime/stepHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-backup';
const logger = new Logger();
const tracing = await functionTracing();
const dynamo = tracing.client(new DynamoDBClient(clientConfig()));
const rdsIn = perRegion((region) => tracing.client(new RDSClient(clientConfig(region))));

/** The backup: finds the writer, snapshots it, copies it to the copy region, prunes, records, notifies. */
export const handler = stepHandler(FUNCTION, BACKUP_FUNCTIONS[FUNCTION], (deps) => new BackupSteps(deps), {
  logger,
  tracing,
  ports: {
    database: new RdsDatabase(rdsIn),
    backups: new RdsSnapshots(rdsIn),
    notifier: slackNotifier(lambdaConfig(), tracing.client(new SecretsManagerClient(clientConfig())))
      .notifier,
  },
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
});
