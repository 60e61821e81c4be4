import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const EXAMPLE_CONFIG_PATH = fileURLToPath(
  new URL('../../examples/lifeboat.config.json', import.meta.url),
);

/** A fresh, mutable copy of the example config document (before validation). */
export function exampleConfigDocument(): Record<string, unknown> & {
  applications: Record<string, unknown>[];
} {
  return JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, unknown> & {
    applications: Record<string, unknown>[];
  };
}
