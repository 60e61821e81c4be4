import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../shared/config/loadConfig.ts';
import { createLifeboat } from './LifeboatApp.ts';
import { synthErrorMessage } from './synthErrors.ts';

/** `cdk synth -c config=path/to/lifeboat.config.json`; the example config when none is given. */
const app = new App();
const configPath =
  (app.node.tryGetContext('config') as string | undefined) ?? 'examples/lifeboat.config.json';
// The CDK CLI sets CDK_DEFAULT_ACCOUNT from the AWS credentials; without either, the stacks are
// synthesized for whichever account deploys them.
const cliAccount = process.env.CDK_DEFAULT_ACCOUNT === '' ? undefined : process.env.CDK_DEFAULT_ACCOUNT;
let account = cliAccount;

try {
  const config = loadConfig(configPath);
  account = config.account ?? cliAccount;
  createLifeboat(app, config, cliAccount);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} catch (error) {
  const message = synthErrorMessage(error, configPath, account);
  if (message !== undefined) {
    console.error(message);
    process.exit(1);
  }
  throw error;
}
