import type { z } from 'zod';

/**
 * How a zod issue reads in Lifeboat's errors: `path: what is wrong`. Apart from the config schema so
 * that code which checks small inputs in a Lambda (with `zod/mini`) does not bundle that schema.
 */

export type PathSegment = PropertyKey;

/** `['applications', 0, 'dns', 'ttlSeconds']` → `applications[0].dns.ttlSeconds`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** One zod issue as `path: what is wrong` lines (one per unknown key). */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys
        .map((key) => `${formatPath([...issue.path, key])}: unknown field; remove it or check its spelling`)
        .join('\n');
    case 'invalid_key':
      return `${where}: invalid key: ${issue.issues.map((i) => i.message).join('; ')}`;
    case 'invalid_type':
      // zod leaves `input` off issues unless asked; its message ends with what it received.
      if (issue.message.endsWith('received undefined'))
        return `${where}: required (expected ${issue.expected})`;
      return `${where}: ${issue.message}`;
    default:
      return `${where}: ${issue.message}`;
  }
}
