import { existsSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../shared/config/loadConfig.ts';
import { createLifeboat } from './LifeboatApp.ts';
import { synthErrorMessage } from './synthErrors.ts';

/**
 * `cdk synth -c config=path/to/lifeboat.config.json`; `./lifeboat.config.json` when none is given.
 * Never the example unless named: a `cdk deploy` must not deploy it by accident.
 */
const app = new App();
const given = app.node.tryGetContext('config') as string | undefined;
if (given === undefined && !existsSync('lifeboat.config.json')) {
  console.error(
    'Lifeboat: no config: ./lifeboat.config.json does not exist and no -c config=<file> was given. Create it from the example (cp examples/lifeboat.config.json lifeboat.config.json, then edit it) or name one: npx cdk synth -c config=<file>.',
  );
  process.exit(1);
}
const configPath = given ?? 'lifeboat.config.json';
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
