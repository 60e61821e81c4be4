import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DEFINITIONS } from '../../shared/statemachines/definitions.ts';
import { functionNameForPlaceholder, placeholdersOf } from '../../shared/statemachines/placeholders.ts';

export const LOCAL_ACCOUNT = '000000000000';

/**
 * The local value of every placeholder in a definition: `…FunctionArn` placeholders name the
 * function the runner binds; others come from `values` (the same names the CDK stack substitutes).
 */
export function localSubstitutions(
  definition: string,
  region: string,
  values: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const placeholder of placeholdersOf(definition)) {
    const fn = functionNameForPlaceholder(placeholder);
    // A deployment's own bindings (the AWS twin's) come first; else the local function's ARN.
    const value =
      values[placeholder] ??
      (fn === undefined ? undefined : `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${fn}`);
    if (value === undefined) throw new Error(`no local value for \${${placeholder}}`);
    out[placeholder] = value;
  }
  return out;
}

/**
 * The workflows in a `statemachines/` folder: `<name>.asl.json` → name, and each workflow deployed
 * from another's definition (`SHARED_DEFINITIONS`) under its own name, as the stack deploys it.
 */
export function workflowFiles(folder: string): Map<string, string> {
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return new Map();
  }
  const files = new Map(
    entries
      .filter((f) => f.endsWith('.asl.json'))
      .sort()
      .map((f) => [f.slice(0, -'.asl.json'.length), join(folder, f)]),
  );
  for (const [workflow, definition] of Object.entries(SHARED_DEFINITIONS)) {
    const file = files.get(definition);
    if (file !== undefined && !files.has(workflow)) files.set(workflow, file);
  }
  return files;
}
