import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
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

const FUNCTION = 'lifeboat-backup';
const logger = new Logger();
const tracer = new Tracer();
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient(clientConfig()));
const rdsIn = perRegion((region) => tracer.captureAWSv3Client(new RDSClient(clientConfig(region))));

/** The backup: finds the writer, snapshots it, copies it to the copy region, prunes, records, notifies. */
export const handler = stepHandler(FUNCTION, BACKUP_FUNCTIONS[FUNCTION], (deps) => new BackupSteps(deps), {
  logger,
  tracer,
  ports: {
    database: new RdsDatabase(rdsIn),
    backups: new RdsSnapshots(rdsIn),
    notifier: slackNotifier(
      lambdaConfig(),
      tracer.captureAWSv3Client(new SecretsManagerClient(clientConfig())),
    ).notifier,
  },
  ledger: new DynamoLedger(dynamo, ledgerTableName()),
});
