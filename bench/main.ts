import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../infra/projectRoot.ts';
import { loadConfig } from '../shared/config/loadConfig.ts';
import {
  BUNDLE_LIMIT_BYTES,
  COLD_START_LIMIT_RATIO,
  measureLeanLambdas,
  SDK_FLOOR_LIMIT_RATIO,
} from './lambdas/leanLambdas.ts';
import { renderTable, round, verdict } from './lib/stats.ts';
import { FLOOR_LIMIT, measureRto, measureSensitivity, SEQUENTIAL_LIMIT } from './rto/rtoBench.ts';
import { FAILOVER_LIMIT_USD, IDLE_LIMIT_USD, measureCost } from './cost/costBench.ts';
import { PRICES } from './cost/prices.ts';
import { DEFAULT_LATENCY, LATENCY_RANGES } from '../local/world/LatencyModel.ts';
import { DEFAULT_SCENARIO_LIMIT_SECONDS, measureRehearsals } from './rehearsal/rehearsalBench.ts';
import {
  exampleDocument,
  FLEET_RTO_LIMIT,
  FLEET_WALL_LIMIT_SECONDS,
  measureFleet,
} from './fleet/fleetBench.ts';

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
    [
      'function',
      'KB',
      '≤ 500 KB',
      'ready ms',
      'SDK only ms',
      '× SDK only',
      '≤ 1.2×',
      '× empty',
      '≤ 3× (where the SDK allows)',
      'largest parts (KB)',
    ],
    lambdas.functions.map((f) => [
      f.name,
      round(f.bytes / 1024, 1),
      verdict(f.bytes / 1024, BUNDLE_LIMIT_BYTES / 1024, ' KB'),
      f.readyMs,
      f.sdkFloorMs,
      f.sdkRatio,
      verdict(f.sdkRatio, SDK_FLOOR_LIMIT_RATIO),
      f.ratio,
      f.ratio <= COLD_START_LIMIT_RATIO
        ? 'met'
        : f.floorRatio > COLD_START_LIMIT_RATIO && f.heaviestSdk !== undefined
          ? `SDK floor ${f.floorRatio}×; heaviest ${f.heaviestSdk.name.replace('@aws-sdk/', '')} ${f.heaviestSdk.ratio}× alone`
          : verdict(f.ratio, COLD_START_LIMIT_RATIO),
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

out(
  '\nRTO sensitivity (client-seen RTO of the automatic failover from us-east-1, s; one latency at each end of its span, the others at their defaults)',
);
const sensitivityRows = [];
for (const app of config.applications) {
  for (const f of await measureSensitivity(doc, app)) {
    sensitivityRows.push([
      app.name,
      f.key,
      `${f.low} / ${f.defaultValue} / ${f.high}`,
      f.rtoAtLow,
      f.rtoAtDefault,
      f.rtoAtHigh,
      round(f.rtoAtHigh - f.rtoAtLow, 1),
    ]);
  }
}
out(
  renderTable(
    ['application', 'latency', 'low / default / high', 'RTO low', 'RTO default', 'RTO high', 'spread'],
    sensitivityRows,
  ),
);
out('Spans and their sources: LATENCY_RANGES in local/world/LatencyModel.ts.');
out(
  `On the failback's path only (the failover's RTO does not depend on them): ${LATENCY_RANGES.filter(
    (r) => r.path === 'failback',
  )
    .map((r) => `${r.key} ${r.low}–${r.high} s (default ${DEFAULT_LATENCY[r.key]})`)
    .join(', ')}.`,
);

out('\nPre-scaling (automation.preScaleOnFirstSignal: the standby scales on the first failing signal)');
const preScaled = structuredClone(doc);
for (const a of preScaled.applications)
  (a.automation as Record<string, unknown>).preScaleOnFirstSignal = true;
const preRows = [];
for (const app of config.applications) {
  const r = await measureRto(preScaled, app, app.regions[1] ?? '');
  preRows.push([
    `${r.application} (${r.engine})`,
    r.floor.floorSeconds,
    r.lifeboatSeconds,
    r.lifeboatToFloor,
    r.lifeboatMirrorSeconds,
    r.sequentialSeconds,
    r.lifeboatToSequential,
    verdict(r.lifeboatToSequential, SEQUENTIAL_LIMIT),
  ]);
}
out(
  renderTable(
    ['application', 'floor', 'Lifeboat', 'L/floor', 'Lifeboat*', 'sequential*', 'L*/seq*', '≤ 0.6'],
    preRows,
  ),
);

out(
  '\nCost model (list prices read 2026-11-22; the example config; see bench/cost/prices.ts for each source)',
);
const cost = await measureCost(config);
const byItem = new Map<string, { quantity: number; usd: number }>();
for (const l of cost.idle) {
  const key = `${PRICES[l.price].unit.split(' (')[0]} [${l.application ?? 'shared'}]`;
  const v = byItem.get(key) ?? { quantity: 0, usd: 0 };
  byItem.set(key, { quantity: v.quantity + l.quantity, usd: v.usd + l.monthlyUsd });
}
out(
  renderTable(
    ['idle item [application]', 'quantity', '$/month'],
    [...byItem].map(([k, v]) => [k, round(v.quantity, 1), round(v.usd, 3)]),
  ),
);
out(
  `idle total: $${round(cost.idleTotal, 2)}/month; shared costs split equally among ${config.applications.length} applications`,
);
out(
  renderTable(
    [
      'application',
      'own $',
      'shared $',
      'idle $/month',
      '≤ $15',
      'Region switch $/month',
      'ARC routing control $/month (one cluster)',
    ],
    Object.entries(cost.perApplication).map(([a, c]) => [
      a,
      round(c.own, 2),
      round(c.shared, 2),
      round(c.total, 2),
      verdict(c.total, IDLE_LIMIT_USD),
      cost.regionSwitchPerApplication,
      round(cost.arcRoutingControl, 0),
    ]),
  ),
);
out(
  renderTable(
    [
      'run',
      'transitions',
      'Lambda requests',
      'GB-s',
      'CloudWatch calls',
      'ledger writes',
      'ledger reads',
      '$',
      '≤ $0.01',
    ],
    cost.runs.map((r) => [
      r.workflow,
      r.usage.transitions,
      r.usage.lambdaRequests,
      round(r.usage.lambdaGbSeconds, 1),
      r.usage.cloudWatchRequests,
      r.usage.ledgerWrites,
      r.usage.ledgerReads,
      round(r.total, 4),
      r.workflow === 'failover' ? verdict(r.total, FAILOVER_LIMIT_USD) : '',
    ]),
  ),
);
out(
  'runs: the failover and the failback of the default scenario (primary-outage), counted from the simulated executions.',
);

out('\nFleet scale (region-evacuation of 100 copies of ai-gateway losing us-east-1 together)');
const fleet = await measureFleet(exampleDocument(), Number(process.env.LIFEBOAT_BENCH_FLEET ?? 100));
out(
  renderTable(
    [
      'applications',
      'MaxConcurrency',
      'started at s',
      'single RTO',
      'RTO min',
      'median',
      'max',
      'max / single',
      '≤ 1.2',
      'wall s',
      '< 60 s',
      'failovers ok',
      'transitions / failover',
      'evacuation transitions / app',
    ],
    [
      [
        fleet.applications,
        fleet.maxConcurrency,
        fleet.startedAt,
        fleet.singleRtoSeconds,
        round(fleet.rto.min, 1),
        round(fleet.rto.median, 1),
        round(fleet.rto.max, 1),
        round(fleet.worstRatio, 3),
        verdict(fleet.worstRatio, FLEET_RTO_LIMIT),
        round(fleet.wallSeconds, 1),
        verdict(fleet.wallSeconds, FLEET_WALL_LIMIT_SECONDS),
        `${fleet.failovers.succeeded}/${fleet.failovers.total}`,
        fleet.transitions.min === fleet.transitions.max
          ? fleet.transitions.min
          : `${fleet.transitions.min}–${fleet.transitions.max}`,
        round(fleet.transitions.evacuationPerApp, 1),
      ],
    ],
  ),
);
out(`fleet: ${fleet.cores} cores; invariant violations: ${fleet.violations.length}`);

out('\nRehearsal wall time per example scenario: the AWS twin (default) and the port-level runtime');
const rehearsals = await measureRehearsals();
out(
  renderTable(
    ['scenario', 'twin s', 'ports s', 'AWS calls', 'violations'],
    rehearsals.timings.map((t) => [
      t.scenario,
      round(t.twinSeconds, 1),
      round(t.portsSeconds, 1),
      t.awsCalls,
      t.violations,
    ]),
  ),
);
out(
  `default scenario on the twin (npm start, synth included): ${round(rehearsals.defaultSeconds, 1)} s, ${verdict(rehearsals.defaultSeconds, DEFAULT_SCENARIO_LIMIT_SECONDS, ' s')} (≤ ${DEFAULT_SCENARIO_LIMIT_SECONDS} s)`,
);
