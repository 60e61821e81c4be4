import { formatClock, formatSeconds } from '../report/renderText.ts';
import type { EndpointChecks, FailoverPlan, PlanStep } from './FailoverPlan.ts';
import type { SwitchoverPlan } from './SwitchoverPlan.ts';

/** The plan as a person reads it at a terminal: the steps in order, parallel branches indented. */
export function renderPlan(plan: FailoverPlan, source: { config: string; definition: string }): string {
  const lines: string[] = [];
  lines.push(
    `Failover plan for ${plan.application}: ${plan.sourceRegion} → ${plan.targetRegion} (${plan.mode})`,
    `Steps from ${source.definition}, resources from ${source.config}, durations from the latency model.`,
    plan.mode === 'automatic'
      ? 'Times are from the fault’s onset; the path assumes every check passes.'
      : 'Times are from the moment a person starts the failover; the path assumes every check passes.',
    '',
    `  ${'start'.padEnd(10)} ${'takes'.padStart(8)}  step`,
  );
  for (const step of plan.steps) lines.push(...stepLines(step, ''));
  lines.push('');
  lines.push(
    `Restored at about +${formatClock(plan.restoredAt)} (every DNS answer names ${plan.targetRegion}, writable and ready), plus the TTL.`,
  );
  lines.push('RTO path:');
  for (const item of plan.critical) {
    const dominant =
      item === plan.critical.find((c) => c.label === plan.dominant.label) ? '  ← dominates' : '';
    lines.push(`  ${formatSeconds(item.seconds).padStart(9)}  ${item.label}${dominant}`);
  }
  const share = plan.rtoSeconds > 0 ? Math.round((plan.dominant.seconds / plan.rtoSeconds) * 100) : 0;
  lines.push('');
  if (plan.meetsRto) {
    lines.push(
      `Estimated RTO ${formatSeconds(plan.rtoSeconds)} against the target of ${formatSeconds(plan.rtoTargetSeconds)}: met, with ${formatSeconds(Math.round((plan.rtoTargetSeconds - plan.rtoSeconds) * 10) / 10)} to spare.`,
      `The longest stretch is ${plan.dominant.label} (${formatSeconds(plan.dominant.seconds)}, ${share}% of the RTO).`,
    );
  } else {
    lines.push(
      `The RTO target of ${formatSeconds(plan.rtoTargetSeconds)} CANNOT be met: the estimate is ${formatSeconds(plan.rtoSeconds)}, ${formatSeconds(Math.round((plan.rtoSeconds - plan.rtoTargetSeconds) * 10) / 10)} over.`,
      `${plan.dominant.label} dominates: ${formatSeconds(plan.dominant.seconds)}, ${share}% of the RTO.`,
    );
  }
  lines.push(
    `RPO is ${plan.rpo.stores.length === 0 ? "the replica's lag" : `the worst lag of the database's replica and the stores' members (${plan.rpo.stores.join(', ')})`} at promotion: target ${formatSeconds(plan.rpo.targetSeconds)}; an automatic failover promotes only with lag up to ${formatSeconds(plan.rpo.automaticBudgetSeconds)}.`,
  );
  if (plan.endpointChecks !== undefined) lines.push('', ...endpointCheckLines(plan.endpointChecks, plan));
  if (plan.warnings.length > 0) {
    lines.push('', 'Notes:');
    for (const w of plan.warnings) lines.push(`  - ${w}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The switchover's plan: its steps, when traffic and the writer have moved, and the RPO. */
export function renderSwitchoverPlan(
  plan: SwitchoverPlan,
  source: { config: string; definition: string },
): string {
  const lines = [
    `Switchover plan for ${plan.application}: ${plan.sourceRegion} → ${plan.targetRegion} (approval: ${plan.approval})`,
    `Steps from ${source.definition} (deployed as lifeboat-switchover), resources from ${source.config}, durations from the latency model.`,
    'Times are from the start; the path assumes every check passes and every guard holds.',
    '',
    `  ${'start'.padEnd(10)} ${'takes'.padStart(8)}  step`,
  ];
  for (const step of plan.steps) lines.push(...stepLines(step, ''));
  const what = plan.stores.length === 0 ? 'the database' : `the database and ${plan.stores.join(', ')}`;
  lines.push(
    '',
    `Traffic all on ${plan.targetRegion} at about +${formatClock(plan.trafficMovedAt)}.`,
    `Writer switch: ${plan.sourceRegion} fenced at +${formatClock(plan.writerSwitch.fencedAt)}, ${plan.targetRegion} takes writes at about +${formatClock(plan.writerSwitch.writableAt)} (${formatSeconds(plan.writerSwitch.seconds)}: the TTL's drain, then the switch of ${what}).`,
    `Done at about +${formatClock(plan.totalSeconds)}, ${plan.sourceRegion} ${plan.oldPrimary === 'rebuilt' ? 'rebuilt as a replica' : `kept as a replica of ${plan.targetRegion}`} and scaled down.`,
    `RPO ${plan.rpoSeconds} s: the writer moves only once ${what} ${plan.stores.length === 0 ? 'has' : 'have'} caught up.`,
  );
  if (plan.warnings.length > 0) {
    lines.push('', 'Notes:');
    for (const w of plan.warnings) lines.push(`  - ${w}`);
  }
  return `${lines.join('\n')}\n`;
}

function stepLines(step: PlanStep, indent: string): string[] {
  const kind =
    step.kind === 'parallel'
      ? ` (parallel, ${step.branches?.length ?? 0} branches)`
      : step.kind === 'loop'
        ? ` (status loop, about ${step.rounds ?? 1} round${step.rounds === 1 ? '' : 's'})`
        : step.kind === 'wait'
          ? ' (wait)'
          : '';
  const lines = [
    `  ${`+${formatClock(step.startsAt)}`.padEnd(10)} ${formatSeconds(Math.round(step.seconds * 10) / 10).padStart(8)}  ${indent}${step.name}${kind}`,
  ];
  const pad = `  ${' '.repeat(20)}${indent}`;
  if (step.note !== undefined) lines.push(`${pad}  ${step.note}`);
  for (const t of step.touches) lines.push(`${pad}  touches ${t}`);
  for (const [i, branch] of (step.branches ?? []).entries()) {
    const last = i === (step.branches?.length ?? 0) - 1;
    lines.push(`${pad}${last ? '└' : '├'}─ branch ${i + 1}`);
    for (const inner of branch) lines.push(...stepLines(inner, `${indent}${last ? '   ' : '│  '}`));
  }
  return lines;
}

/**
 * The endpoint checks' settings side by side: price, when Route 53 sees the failure, and the RTO.
 * An HTTP(S) check passes on "an HTTP status code of 2xx or 3xx" within two seconds of connecting
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
 */
function endpointCheckLines(checks: EndpointChecks, plan: FailoverPlan): string[] {
  const header = [
    'check',
    'interval',
    '$/month',
    'Route 53 unhealthy after',
    'its alarm at',
    'estimated RTO',
    '',
  ];
  const rows = checks.choices.map((c) => [
    c.https ? 'HTTPS' : 'HTTP',
    `${c.intervalSeconds} s`,
    c.monthlyUsd.toFixed(2),
    `${c.route53DetectsSeconds} s`,
    `+${formatClock(c.route53AlarmSeconds)}`,
    `${formatSeconds(c.rtoSeconds)}${c.meetsRto ? '' : ' (over target)'}`,
    c.current ? '← the config' : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  return [
    `Endpoint checks of ${plan.application} (healthChecks.<region>.https and intervalSeconds): ${checks.regions.length} region(s), ${checks.checksPerRecord === 1 ? 'one check per record' : `each record billed for ${checks.checksPerRecord} checks (the check and its copies in the majority fence, docs/fencing.md)`}, failure threshold ${checks.failureThreshold}, list prices of bench/cost/prices.ts:`,
    line(header),
    ...rows.map(line),
    'An HTTP check needs the health path served on plain HTTP (port 80 by default); a 2xx or 3xx answer counts as healthy, so a redirect to HTTPS passes without reaching the application.',
  ];
}
