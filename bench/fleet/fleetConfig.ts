type Json = Record<string, unknown>;
type ConfigDocument = Json & { applications: Json[] };

/** `fleet-007`: the name of the i-th copy. */
export function fleetName(i: number): string {
  return `fleet-${String(i + 1).padStart(3, '0')}`;
}

/** Replaces every `from` in the strings of a JSON value with `to`. */
function renamed(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.split(from).join(to);
  if (Array.isArray(value)) return value.map((v) => renamed(v, from, to));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renamed(v, from, to)]));
  return value;
}

/**
 * A fleet: `count` copies of the example's `template` application (its RDS read-replica app), each
 * with its own name, record, health-check endpoints, database instances, clusters and load
 * balancers (every name that carried the template's name carries the copy's). Backups and drills
 * are left out: they are the same for each copy and have nothing to do with an evacuation.
 */
export function fleetConfig(
  example: ConfigDocument,
  count: number,
  options: { template?: string; automaticFailover?: boolean } = {},
): ConfigDocument {
  const templateName = options.template ?? 'ai-gateway';
  const template = example.applications.find((a) => a.name === templateName);
  if (template === undefined) throw new Error(`the example config has no application ${templateName}`);
  const base = structuredClone(template);
  delete base.backup;
  delete base.drills;
  const applications = Array.from({ length: count }, (_, i) => {
    const name = fleetName(i);
    const app = renamed(base, templateName, name) as Json;
    const dns = app.dns as Json;
    dns.recordName = `${name}.example.com`;
    const checks = app.healthChecks as Record<string, Json>;
    for (const check of Object.values(checks))
      check.endpoint = `${String(check.endpoint).split('.')[0]}.${name}.example.com`;
    (app.automation as Json).automaticFailover = options.automaticFailover ?? false;
    return app;
  });
  return { ...structuredClone(example), applications };
}
