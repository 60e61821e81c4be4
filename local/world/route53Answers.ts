/** One weighted record as Route 53's resolver sees it: its weight and its health check's status. */
export interface WeightedRecordState {
  readonly region: string;
  readonly weight: number;
  readonly healthy: boolean;
}

/**
 * The regions a DNS answer can name for a group of weighted records that all carry health checks,
 * as docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-weighted.html ("Health checks
 * and weighted routing") and health-checks-how-route-53-chooses-records.html document it:
 *
 * 1. healthy records with a non-zero weight, if any;
 * 2. otherwise healthy records with weight zero, if any;
 * 3. otherwise (every record unhealthy) all records count as healthy, and the weights apply again:
 *    the non-zero ones, or every record when all weights are zero.
 *
 * Returned in the records' order; the share of each is `weight / sum` among those returned, or
 * equal when their weights are all zero.
 */
export function route53Answers(records: readonly WeightedRecordState[]): string[] {
  const pick = (rs: readonly WeightedRecordState[]) => rs.map((r) => r.region);
  const healthyNonZero = records.filter((r) => r.healthy && r.weight > 0);
  if (healthyNonZero.length > 0) return pick(healthyNonZero);
  const healthyZero = records.filter((r) => r.healthy && r.weight === 0);
  if (healthyZero.length > 0) return pick(healthyZero);
  const nonZero = records.filter((r) => r.weight > 0);
  return pick(nonZero.length > 0 ? nonZero : records);
}

/** The share of queries each answered region receives. */
export function route53Shares(records: readonly WeightedRecordState[]): Map<string, number> {
  const answered = new Set(route53Answers(records));
  const chosen = records.filter((r) => answered.has(r.region));
  const total = chosen.reduce((sum, r) => sum + r.weight, 0);
  return new Map(chosen.map((r) => [r.region, total === 0 ? 1 / chosen.length : r.weight / total]));
}
