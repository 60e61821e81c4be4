import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../infra/projectRoot.ts';
import { loadConfig } from '../shared/config/loadConfig.ts';
import { BUNDLE_LIMIT_BYTES, COLD_START_LIMIT_RATIO, measureLeanLambdas } from './lambdas/leanLambdas.ts';
import { renderTable, round, verdict } from './lib/stats.ts';
import { FLOOR_LIMIT, measureRto, SEQUENTIAL_LIMIT } from './rto/rtoBench.ts';

/** `npm run bench`: every benchmark, one table each, with its target and whether it is met. */

const CONFIG = join(PROJECT_ROOT, 'examples', 'lifeboat.config.json');
const runs = Number(process.env.LIFEBOAT_BENCH_RUNS ?? 20);
const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

const lambdas = await measureLeanLambdas(runs);
out(`Lean Lambdas (${lambdas.machine}; median of ${runs} fresh processes each)`);
out(
  `empty handler: ready ${round(lambdas.empty.readyMs, 1)} ms after the process began (import ${round(lambdas.empty.importMs, 1)} ms)`,
);
out(
  renderTable(
    ['function', 'KB', '≤ 500 KB', 'ready ms', 'import ms', '× empty', '≤ 3×', 'largest parts (KB)'],
    lambdas.functions.map((f) => [
      f.name,
      round(f.bytes / 1024, 1),
      verdict(f.bytes, BUNDLE_LIMIT_BYTES),
      f.readyMs,
      f.importMs,
      f.ratio,
      verdict(f.ratio, COLD_START_LIMIT_RATIO),
      f.largest.map(([owner, bytes]) => `${owner} ${round(bytes / 1024, 0)}`).join(', '),
    ]),
  ),
);

out('\nRTO against the floor and the sequential runbook (default latency model; seconds from the outage)');
const doc = JSON.parse(readFileSync(CONFIG, 'utf8')) as Parameters<typeof measureRto>[0];
const config = loadConfig(CONFIG);
const rows = [];
for (const app of config.applications) {
  const r = await measureRto(doc, app, app.regions[1] ?? '');
  rows.push([
    `${r.application} (${r.engine})`,
    r.floor.floorSeconds,
    r.lifeboatSeconds,
    r.lifeboatReportSeconds,
    r.lifeboatToFloor,
    verdict(r.lifeboatToFloor, FLOOR_LIMIT),
    r.lifeboatMirrorSeconds,
    r.sequentialSeconds,
    r.lifeboatToSequential,
    verdict(r.lifeboatToSequential, SEQUENTIAL_LIMIT),
  ]);
  out(
    `${r.application}: floor = detection ${r.floor.detectionSeconds} + confirmation ${r.floor.confirmationSeconds} + max(promotion ${r.floor.promotionSeconds}, workloads ${r.floor.workloadReadinessSeconds}) + TTL not overlapped ${r.floor.ttlNotOverlappedSeconds}`,
  );
}
out(
  renderTable(
    [
      'application',
      'floor',
      'Lifeboat',
      'report RTO',
      'L/floor',
      '≤ 1.05',
      'Lifeboat*',
      'sequential*',
      'L*/seq*',
      '≤ 0.6',
    ],
    rows,
  ),
);
out(
  'Lifeboat: outage of the primary us-east-1, TTL counted only where not overlapped (as the floor counts it); report RTO adds the whole TTL.',
);
out(
  '* primary moved to us-west-2 (Route 53 API up); the runbook starts once the outage is confirmed (detection + confirmation window).',
);
