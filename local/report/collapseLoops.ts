import type { ReportState } from './Report.ts';

/** One row of an execution's state table: a state, or every pass of a loop through it. */
export interface StateRow {
  /** The state's label (`name`, or `name[index]` inside a Map). */
  readonly label: string;
  /** How many times the row's state was entered in a row of loop passes (1: no loop). */
  readonly count: number;
  /** The first pass's entry. */
  readonly enteredAt: number;
  /** The last pass's exit, `null` while it runs. */
  readonly exitedAt: number | null;
  /** Time spent in the state over every pass (the last one up to `until` while it runs). */
  readonly tookSeconds: number;
  /** The last pass's status, then how many earlier passes ended otherwise (`SUCCEEDED, 2 RETRIED`). */
  readonly status: string;
  /** The last pass's status alone, for colour. */
  readonly lastStatus: string;
  /** The last error any pass recorded. */
  readonly error?: string;
}

/** A state's label: its name, and its iteration's index inside a Map (`Scale[2]`). */
export function stateLabel(state: ReportState): string {
  return state.index === undefined ? state.name : `${state.name}[${state.index}]`;
}

/**
 * Collapses polling loops and retries in an execution's states into one row per state with a
 * count: a state entered more than once (`Wait, Check, Ready?` polled 20 times, a task retried
 * three times, the two polling loops of a Parallel interleaved in time) is one row at its first
 * entry, from that entry to its last exit. A state name is unique within a state machine, so a
 * second entry is always another pass of a loop or a retry; a Map's iterations keep their index.
 */
export function collapseLoops(states: readonly ReportState[], until: number): StateRow[] {
  const groups = new Map<string, ReportState[]>();
  for (const state of states) {
    const label = stateLabel(state);
    const group = groups.get(label);
    if (group === undefined) groups.set(label, [state]);
    else group.push(state);
  }
  return [...groups.values()].map((group) => merge(group, until));
}

function merge(group: readonly ReportState[], until: number): StateRow {
  const first = group[0] as ReportState;
  const last = group[group.length - 1] as ReportState;
  const others = new Map<string, number>();
  for (const state of group.slice(0, -1)) {
    if (state.status !== last.status) others.set(state.status, (others.get(state.status) ?? 0) + 1);
  }
  const error = [...group].reverse().find((s) => s.error !== undefined)?.error;
  return {
    label: stateLabel(first),
    count: group.length,
    enteredAt: first.enteredAt,
    exitedAt: last.exitedAt,
    tookSeconds: group.reduce((sum, s) => sum + Math.max(0, (s.exitedAt ?? until) - s.enteredAt), 0),
    status: [last.status, ...[...others].map(([status, n]) => `${n} ${status}`)].join(', '),
    lastStatus: last.status,
    ...(error === undefined ? {} : { error }),
  };
}
