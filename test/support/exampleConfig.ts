import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readJobManifests } from '../../shared/config/customStepsCheck.ts';

export const EXAMPLE_CONFIG_PATH = fileURLToPath(
  new URL('../../examples/lifeboat.config.json', import.meta.url),
);

/**
 * A fresh, mutable copy of the example config document (before validation), with each custom step's
 * Job manifest read into the step (`job`, as loadConfig reads it), so that the document stands alone
 * wherever it is validated or written.
 */
export function exampleConfigDocument(): Record<string, unknown> & {
  applications: Record<string, unknown>[];
} {
  const doc = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, unknown> & {
    applications: Record<string, unknown>[];
  };
  const unread = readJobManifests(doc, EXAMPLE_CONFIG_PATH);
  if (unread.length > 0) throw new Error(unread.map((p) => p.message).join('; '));
  for (const app of doc.applications)
    for (const step of (app.customSteps ?? []) as Record<string, unknown>[]) delete step.manifest;
  return doc;
}
