import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createLifeboat, type LifeboatStacks } from '../../infra/LifeboatApp.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { exampleConfigDocument } from './exampleConfig.ts';

export const TEST_ACCOUNT = '123456789012';

/** The example config, optionally changed before validation. */
export function testConfig(mutate?: (doc: ReturnType<typeof exampleConfigDocument>) => void): LifeboatConfig {
  const doc = exampleConfigDocument();
  mutate?.(doc);
  return parseConfig(doc, 'test');
}

/** Every stack of a deployment, in a fresh app, optionally with cdk-nag's AwsSolutions checks. */
export function synthLifeboat(
  config: LifeboatConfig = testConfig(),
  options: { nag?: boolean; bundle?: boolean } = {},
): {
  app: App;
  stacks: LifeboatStacks;
} {
  // Template assertions need no Lambda bundles; building nine per region would dominate the tests.
  const app = new App(options.bundle === true ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = createLifeboat(app, config, TEST_ACCOUNT);
  if (options.nag === true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stacks };
}

export function templateOf(stack: Parameters<typeof Template.fromStack>[0]): Template {
  return Template.fromStack(stack);
}
