const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** The `${Placeholder}` names a state machine definition uses, in order of first use. */
export function placeholdersOf(definition: string): string[] {
  return [...new Set([...definition.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''))];
}

/**
 * Checks that `substitutions` gives every placeholder of `definition` a value and has no value the
 * definition does not use; returns the problems, each a sentence naming the placeholder.
 */
export function substitutionProblems(
  definition: string,
  substitutions: Readonly<Record<string, string>>,
): string[] {
  const used = placeholdersOf(definition);
  const missing = used.filter((p) => !(p in substitutions));
  const unused = Object.keys(substitutions).filter((key) => !used.includes(key));
  return [
    ...(missing.length > 0
      ? [`uses ${missing.map((m) => `\${${m}}`).join(', ')} but substitutions has no value for it`]
      : []),
    ...(unused.length > 0 ? [`substitutions ${unused.join(', ')} are not used by the definition`] : []),
  ];
}

/** Replaces every `${Placeholder}` with its value, escaped for the JSON string it stands in. */
export function substitute(definition: string, substitutions: Readonly<Record<string, string>>): string {
  return definition.replace(PLACEHOLDER, (whole, name: string) => {
    const value = substitutions[name];
    return value === undefined ? whole : JSON.stringify(value).slice(1, -1);
  });
}

/**
 * `lifeboat-failover-input` → `FailoverInputFunctionArn`: the placeholder a definition names a
 * function by. The stacks substitute it with the function's ARN; the local runner with its binding.
 */
export function placeholderOf(functionName: string): string {
  const pascal = functionName
    .replace(/^lifeboat-/, '')
    .split('-')
    .map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`)
    .join('');
  return `${pascal}FunctionArn`;
}

/** `FailoverInputFunctionArn` → `lifeboat-failover-input`: the function a placeholder names. */
export function functionNameForPlaceholder(placeholder: string): string | undefined {
  const match = /^([A-Z][A-Za-z0-9]*)FunctionArn$/.exec(placeholder);
  if (match?.[1] === undefined) return undefined;
  return `lifeboat-${match[1].replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
}
