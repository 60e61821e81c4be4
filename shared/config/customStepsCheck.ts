import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PathSegment } from './issues.ts';
import type { ApplicationConfig } from './LifeboatConfig.ts';

type Path = readonly PathSegment[];

interface Problem {
  readonly path: Path;
  readonly message: string;
}

/**
 * Reads each `kubernetes-job` custom step's `manifest` (relative to the config file) into its
 * `job`, in the raw document, before the document is validated; a file that cannot be read or is
 * not JSON is a problem at that step's `manifest`. Everything else is left to the schema.
 */
export function readJobManifests(raw: unknown, configFile: string): Problem[] {
  const problems: Problem[] = [];
  const applications = (raw as { applications?: unknown } | null)?.applications;
  if (!Array.isArray(applications)) return problems;
  applications.forEach((app: unknown, a) => {
    const steps = (app as { customSteps?: unknown } | null)?.customSteps;
    if (!Array.isArray(steps)) return;
    steps.forEach((step: unknown, s) => {
      if (typeof step !== 'object' || step === null) return;
      const entry = step as Record<string, unknown>;
      if (entry.kind !== 'kubernetes-job' || typeof entry.manifest !== 'string') return;
      const path = ['applications', a, 'customSteps', s, 'manifest'];
      if (entry.job !== undefined) {
        problems.push({ path, message: 'give the Job as manifest (a file) or as job (inline), not both' });
        return;
      }
      const file = resolve(dirname(configFile), entry.manifest);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        problems.push({
          path,
          message: `cannot read ${file}${code === 'ENOENT' ? ': no such file (the path is relative to the config file)' : `: ${String(error)}`}`,
        });
        return;
      }
      try {
        entry.job = JSON.parse(text) as unknown;
      } catch (error) {
        problems.push({
          path,
          message: `${file} is not valid JSON (${(error as Error).message}); write the Job manifest as JSON`,
        });
      }
    });
  });
  return problems;
}

/** The custom steps' checks that need the whole application: names, regions, functions, Jobs. */
export function checkCustomSteps(app: ApplicationConfig, at: Path, problems: Problem[]): void {
  const seen = new Set<string>();
  app.customSteps.forEach((step, i) => {
    const path = [...at, 'customSteps', i];
    if (seen.has(step.name)) {
      problems.push({
        path: [...path, 'name'],
        message: `"${step.name}" names another custom step of ${app.name}`,
      });
    }
    seen.add(step.name);
    if (step.onFailure === 'stop' && step.at.endsWith('.after-traffic')) {
      problems.push({
        path: [...path, 'onFailure'],
        message: `a step after traffic moved cannot stop the run: the move is done, and a run recorded FAILED would skip what follows it (the other regions' databases following the new writer, the cooldown); use "continue"`,
      });
    }
    if (step.kind === 'lambda') {
      if (typeof step.functionArn !== 'string') {
        const missing = app.regions.filter(
          (r) => (step.functionArn as Record<string, string>)[r] === undefined,
        );
        if (missing.length > 0) {
          problems.push({
            path: [...path, 'functionArn'],
            message: `no function for ${missing.join(', ')}: a run may target any region of the application; give one ARN for every region, or a single ARN`,
          });
        }
        for (const region of Object.keys(step.functionArn)) {
          if (!app.regions.includes(region)) {
            problems.push({
              path: [...path, 'functionArn', region],
              message: `${region} is not one of the application's regions (${app.regions.join(', ')})`,
            });
          }
        }
      }
      return;
    }
    if (step.region !== 'target' && step.region !== 'source' && !app.regions.includes(step.region)) {
      problems.push({
        path: [...path, 'region'],
        message: `${step.region} is not one of the application's regions (${app.regions.join(', ')}); use "target", "source" or one of them`,
      });
    }
    if (step.at.startsWith('drill.') && step.region === 'source') {
      problems.push({
        path: [...path, 'region'],
        message:
          'a readiness drill has no source region that runs anything for it; use "target" or a region name',
      });
    }
    const job = step.job;
    if (job === undefined) {
      problems.push({
        path: [...path, 'manifest'],
        message: 'give the Job to run: manifest (a JSON file, relative to the config file) or job (inline)',
      });
      return;
    }
    const jobPath = step.manifest === undefined ? [...path, 'job'] : [...path, 'manifest'];
    const metadata = (job.metadata ?? {}) as { namespace?: unknown };
    const spec = job.spec as
      { template?: { spec?: { containers?: unknown; restartPolicy?: unknown } } } | undefined;
    const containers = spec?.template?.spec?.containers;
    const restart = spec?.template?.spec?.restartPolicy;
    const wrong =
      job.apiVersion !== 'batch/v1' || job.kind !== 'Job'
        ? `is ${String(job.apiVersion)} ${String(job.kind)}, not a batch/v1 Job`
        : !Array.isArray(containers) || containers.length === 0
          ? 'has no spec.template.spec.containers'
          : restart !== 'Never' && restart !== 'OnFailure'
            ? `has spec.template.spec.restartPolicy ${JSON.stringify(restart)}; a Job's is "Never" or "OnFailure"`
            : metadata.namespace !== undefined && metadata.namespace !== step.namespace
              ? `is in namespace ${JSON.stringify(metadata.namespace)}, not the step's ${step.namespace}; leave metadata.namespace out`
              : undefined;
    if (wrong !== undefined) problems.push({ path: jobPath, message: `the Job ${wrong}` });
  });
}
