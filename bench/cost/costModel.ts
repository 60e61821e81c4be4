import { HOURS_PER_MONTH, PRICES, type PriceKey } from './prices.ts';

/** The cost model's arithmetic: pure functions over template resources, schedules and run usage. */

export interface TemplateResource {
  readonly stack: string;
  readonly region: string;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface CostLine {
  readonly item: string;
  readonly price: PriceKey;
  readonly quantity: number;
  readonly monthlyUsd: number;
  /** The application the line belongs to, or null for what every application shares. */
  readonly application: string | null;
}

/** What the template cannot say about an idle month; each is a model assumption the bench prints. */
export interface IdleAssumptions {
  /** Billed duration of one probe invocation (one round of parallel probes and one PutMetricData). */
  readonly probeSeconds: number;
  /** Billed duration of one failback-offer invocation (ledger and Route 53 reads). */
  readonly offerSeconds: number;
  /** CloudWatch Logs bytes per scheduled invocation (START/END/REPORT lines and the function's own). */
  readonly logBytesPerInvocation: number;
  /** Slack secrets the deployer creates in each control-plane region. */
  readonly secretsPerRegion: number;
  /** Ledger read request units per offer invocation per application. */
  readonly ledgerReadsPerOffer: number;
  /** The ledger's size per replica, GB. */
  readonly ledgerGb: number;
}

const compact = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The application whose name a resource's text carries (the longest match: `app-drill` over `app`). */
export function applicationOf(text: string, applications: readonly string[]): string | null {
  const haystack = compact(text);
  const found = applications
    .filter((a) => haystack.includes(compact(a)))
    .sort((a, b) => compact(b).length - compact(a).length);
  return found[0] ?? null;
}

/** Invocations a month of an EventBridge `rate(...)` or `cron(...)` expression (730-hour month). */
export function monthlyInvocations(expression: string): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate !== null) {
    const every = Number(rate[1]);
    const unitHours = rate[2]?.startsWith('minute') === true ? 1 / 60 : rate[2]?.startsWith('hour') ? 1 : 24;
    return HOURS_PER_MONTH / (every * unitHours);
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+))?\)$/.exec(expression);
  if (cron === null) throw new Error(`not a schedule expression: ${expression}`);
  const [, minutes = '', hours = '', , , weekdays = ''] = cron;
  const count = (field: string, size: number): number => {
    if (field === '*' || field === '?') return size;
    if (field.startsWith('*/')) return Math.ceil(size / Number(field.slice(2)));
    return field.split(',').reduce((n, part) => {
      const range = /^(\w+)-(\w+)$/.exec(part);
      if (range === null) return n + 1;
      const days = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
      const at = (v: string): number => (days.includes(v) ? days.indexOf(v) : Number(v));
      return n + at(range[2] ?? '') - at(range[1] ?? '') + 1;
    }, 0);
  };
  const perDay = count(minutes, 60) * count(hours, 24);
  const daysPerWeek = weekdays === '?' || weekdays === '*' ? 7 : count(weekdays, 7);
  return perDay * daysPerWeek * (HOURS_PER_MONTH / (24 * 7));
}

function line(item: string, price: PriceKey, quantity: number, application: string | null): CostLine {
  return { item, price, quantity, monthlyUsd: quantity * PRICES[price].usd, application };
}

const isCustomNamespace = (namespace: unknown): boolean =>
  typeof namespace === 'string' && !namespace.startsWith('AWS/');

/**
 * The idle month of a deployment: what its resources cost while nothing fails, one line per priced
 * item. Health checks, alarms and custom metrics belong to the application they name; keys,
 * secrets, the ledger, the scheduled functions and their logs and traces are shared.
 */
export function idleCost(
  resources: readonly TemplateResource[],
  applications: readonly string[],
  controlPlaneRegions: readonly string[],
  assumptions: IdleAssumptions,
): CostLine[] {
  const lines: CostLine[] = [];
  const metrics = new Set<string>();
  let scheduledInvocations = 0;
  let tracedInvocations = 0;
  let scheduledGbSeconds = 0;
  /** Whether a rule's target function records an X-Ray trace per invocation (active tracing). */
  const traced = (rule: TemplateResource): boolean => {
    const targets = Array.isArray(rule.properties.Targets) ? (rule.properties.Targets as unknown[]) : [];
    return targets.some((t) => {
      const arn = (t as { Arn?: { 'Fn::GetAtt'?: [string, string] } }).Arn?.['Fn::GetAtt']?.[0];
      const fn = resources.find((f) => f.stack === rule.stack && f.logicalId === arn);
      return (fn?.properties.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active';
    });
  };
  let dashboards = 0;
  for (const r of resources) {
    const p = r.properties;
    switch (r.type) {
      case 'AWS::Route53::HealthCheck': {
        const config = (p.HealthCheckConfig ?? {}) as Record<string, unknown>;
        const type = String(config.Type);
        const app = applicationOf(r.logicalId, applications);
        lines.push(line(`health check ${type} ${r.logicalId}`, 'healthCheckAws', 1, app));
        const options = [
          type.startsWith('HTTPS') ? 'HTTPS' : undefined,
          type.endsWith('STR_MATCH') ? 'string matching' : undefined,
          config.RequestInterval === 10 ? 'fast interval' : undefined,
          config.MeasureLatency === true ? 'latency' : undefined,
        ].filter((o): o is string => o !== undefined);
        for (const option of options)
          lines.push(line(`health check option ${option} ${r.logicalId}`, 'healthCheckOptionAws', 1, app));
        break;
      }
      case 'AWS::CloudWatch::Alarm': {
        const name = JSON.stringify(p.AlarmName ?? r.logicalId);
        const app = applicationOf(name, applications);
        const period = Number(p.Period ?? 60);
        lines.push(line(`alarm ${name}`, period < 60 ? 'alarmHighResolution' : 'alarmStandard', 1, app));
        // A custom metric is billed only in hours it receives data: the probe's every minute, the
        // fence's only when a run sets it (so not in an idle month).
        if (isCustomNamespace(p.Namespace) && period < 60 && p.MetricName !== 'Fence') {
          const key = `${r.region}/${String(p.Namespace)}/${String(p.MetricName)}/${JSON.stringify(p.Dimensions)}`;
          if (!metrics.has(key)) {
            metrics.add(key);
            lines.push(line(`custom metric ${key}`, 'customMetric', 1, app));
          }
        }
        break;
      }
      case 'AWS::CloudWatch::Dashboard':
        dashboards += 1;
        break;
      case 'AWS::KMS::Key':
        lines.push(line(`KMS key ${r.stack}`, 'kmsKey', 1, null));
        break;
      case 'AWS::Scheduler::Schedule': {
        const expression = String(p.ScheduleExpression);
        const app = applicationOf(typeof p.Name === 'string' ? p.Name : r.logicalId, applications);
        lines.push(
          line(
            `schedule ${String(p.Name)} ${expression}`,
            'schedulerInvocation',
            monthlyInvocations(expression),
            app,
          ),
        );
        break;
      }
      case 'AWS::Events::Rule': {
        if (typeof p.ScheduleExpression !== 'string') break;
        const invocations = monthlyInvocations(p.ScheduleExpression);
        const seconds =
          p.ScheduleExpression === 'rate(1 minute)' ? assumptions.probeSeconds : assumptions.offerSeconds;
        scheduledInvocations += invocations;
        if (traced(r)) tracedInvocations += invocations;
        scheduledGbSeconds += invocations * seconds * 0.25;
        if (p.ScheduleExpression !== 'rate(1 minute)') {
          lines.push(
            line(
              `ledger reads by the offer in ${r.region}`,
              'dynamoRead',
              invocations * assumptions.ledgerReadsPerOffer * applications.length,
              null,
            ),
          );
        } else {
          lines.push(line(`probe PutMetricData in ${r.region}`, 'putMetricData', invocations, null));
        }
        break;
      }
      case 'AWS::DynamoDB::GlobalTable': {
        const replicas = Array.isArray(p.Replicas) ? p.Replicas.length : 1;
        lines.push(
          line('ledger storage (all replicas)', 'dynamoStorage', replicas * assumptions.ledgerGb, null),
        );
        break;
      }
      default:
        break;
    }
  }
  if (dashboards > 0) lines.push(line('dashboards', 'dashboard', dashboards, null));
  lines.push(
    line('Slack secrets', 'secret', assumptions.secretsPerRegion * controlPlaneRegions.length, null),
  );
  lines.push(line('scheduled Lambda requests (probe, offer)', 'lambdaRequest', scheduledInvocations, null));
  lines.push(line('scheduled Lambda GB-seconds (256 MB)', 'lambdaArmGbSecond', scheduledGbSeconds, null));
  lines.push(
    line(
      'scheduled Lambda logs (GB)',
      'logsIngestion',
      (scheduledInvocations * assumptions.logBytesPerInvocation) / 1e9,
      null,
    ),
  );
  // Active tracing samples the first request of each second: every invocation of a traced function.
  lines.push(line('X-Ray traces of scheduled invocations', 'xrayTrace', tracedInvocations, null));
  return lines;
}

export interface ApplicationShare {
  readonly own: number;
  readonly shared: number;
  readonly total: number;
}

/** Each application's own lines plus an equal share of the shared ones. */
export function perApplication(
  lines: readonly CostLine[],
  applications: readonly string[],
): Record<string, ApplicationShare> {
  const shared = lines.filter((l) => l.application === null).reduce((s, l) => s + l.monthlyUsd, 0);
  const share = applications.length === 0 ? 0 : shared / applications.length;
  return Object.fromEntries(
    applications.map((a) => {
      const own = lines.filter((l) => l.application === a).reduce((s, l) => s + l.monthlyUsd, 0);
      return [a, { own, shared: share, total: own + share }];
    }),
  );
}

/** What one run (a failover, a failback) used, counted from its simulated execution. */
export interface RunUsage {
  readonly transitions: number;
  readonly lambdaRequests: number;
  readonly lambdaGbSeconds: number;
  /** CloudWatch API requests (PutMetricData, GetMetricData, DescribeAlarms). */
  readonly cloudWatchRequests: number;
  readonly ledgerWrites: number;
  readonly ledgerReads: number;
  /** Control-plane regions the ledger replicates each write to. */
  readonly ledgerReplicas: number;
}

export interface StateRun {
  readonly name: string;
  readonly type?: string;
  readonly enteredAt: number;
  readonly exitedAt: number | null;
}

/**
 * Transitions and Lambda use of one execution: every state entered (a retry enters again) is a
 * transition; every Task state is a Lambda request billed for its time less the transition, at the
 * memory of the function it names. A task that waits for a token is billed `tokenTaskSeconds`
 * (the function returns once it has posted; the wait is not Lambda time).
 */
export function executionUsage(
  states: readonly StateRun[],
  taskFunctions: ReadonlyMap<string, { readonly memoryMb: number; readonly waitsForToken: boolean }>,
  transitionSeconds: number,
  tokenTaskSeconds: number,
): { transitions: number; lambdaRequests: number; lambdaGbSeconds: number } {
  let lambdaRequests = 0;
  let lambdaGbSeconds = 0;
  for (const s of states) {
    const fn = taskFunctions.get(s.name);
    if (fn === undefined || s.exitedAt === null) continue;
    lambdaRequests += 1;
    const seconds = fn.waitsForToken
      ? tokenTaskSeconds
      : Math.max(0, s.exitedAt - s.enteredAt - transitionSeconds);
    lambdaGbSeconds += seconds * (fn.memoryMb / 1024);
  }
  return { transitions: states.length, lambdaRequests, lambdaGbSeconds };
}

/** The cost of one run at list prices, by item. */
export function runCost(usage: RunUsage): { lines: CostLine[]; total: number } {
  const lines = [
    line('state transitions', 'stateTransition', usage.transitions, null),
    line('Lambda requests', 'lambdaRequest', usage.lambdaRequests, null),
    line('Lambda GB-seconds', 'lambdaArmGbSecond', usage.lambdaGbSeconds, null),
    line('CloudWatch API requests', 'putMetricData', usage.cloudWatchRequests, null),
    line('ledger writes (each replica)', 'dynamoWrite', usage.ledgerWrites * usage.ledgerReplicas, null),
    line('ledger reads', 'dynamoRead', usage.ledgerReads, null),
  ];
  return { lines, total: lines.reduce((s, l) => s + l.monthlyUsd, 0) };
}

/** ARC routing control: one cluster, always on, whatever the number of applications. */
export function arcRoutingControlMonthly(clusters = 1): number {
  return clusters * PRICES.arcCluster.usd * HOURS_PER_MONTH;
}
