import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where the reliability tests of this checkout leave their figures for the reporter. */
export function figuresDir() {
  const checkout = createHash('sha256').update(ROOT).digest('hex').slice(0, 12);
  return join(tmpdir(), `lifeboat-reliability-figures-${checkout}`);
}
