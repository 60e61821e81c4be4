import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../errors.ts';
import type { LifeboatConfig } from './LifeboatConfig.ts';

/**
 * The config as a Lambda bundle carries it: validated once, at synth, by `loadConfig`, and embedded
 * in its parsed form, so a function reads it at cold start with `JSON.parse` and ships neither the
 * config schema nor zod's full API (together most of a bundle's size and of its import time).
 */

/** Names the embedded form, so that a function given anything else (a raw config file) refuses it. */
export const BUNDLED_CONFIG_FORMAT = 'lifeboat-validated-config/1';

interface BundledConfig {
  readonly format: typeof BUNDLED_CONFIG_FORMAT;
  readonly config: LifeboatConfig;
}

/**
 * The text to embed for a validated config. Refuses a config that would not read back as itself
 * from JSON (an `undefined`, a `Date`, a `Map`), so the functions cannot read a different config
 * from the one synth validated.
 */
export function bundledConfigText(config: LifeboatConfig): string {
  const text = JSON.stringify({ format: BUNDLED_CONFIG_FORMAT, config } satisfies BundledConfig);
  if (!isDeepStrictEqual((JSON.parse(text) as BundledConfig).config, config)) {
    throw new Error(
      'The validated config does not read back as itself from JSON; the config schema must output plain JSON values',
    );
  }
  return text;
}

/** The config a function was bundled with, from the text `bundledConfigText` made. */
export function readBundledConfig(text: string | undefined, source = 'LIFEBOAT_CONFIG'): LifeboatConfig {
  if (text === undefined || text === '') {
    throw new ConfigError(source, ['not set: the function was bundled without its config']);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(source, [`not valid JSON: ${(error as Error).message}`]);
  }
  const bundled = raw as Partial<BundledConfig> | null;
  if (
    typeof bundled !== 'object' ||
    bundled === null ||
    bundled.format !== BUNDLED_CONFIG_FORMAT ||
    typeof bundled.config !== 'object' ||
    !Array.isArray(bundled.config.applications)
  ) {
    throw new ConfigError(source, [
      `not a config validated at synth (expected {"format": "${BUNDLED_CONFIG_FORMAT}", "config": {...}}); deploy the function with LifeboatFunction, which validates the config and embeds it`,
    ]);
  }
  return bundled.config;
}
