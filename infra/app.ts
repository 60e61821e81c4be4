import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../shared/config/loadConfig.ts';
import { ConfigError } from '../shared/errors.ts';
import { createLifeboat } from './LifeboatApp.ts';

/** `cdk synth -c config=path/to/lifeboat.config.json`; the example config when none is given. */
const app = new App();
const configPath =
  (app.node.tryGetContext('config') as string | undefined) ?? 'examples/lifeboat.config.json';

try {
  const config = loadConfig(configPath);
  createLifeboat(app, config, process.env.CDK_DEFAULT_ACCOUNT);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
