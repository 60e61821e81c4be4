import { collapseLoops } from '../../local/report/collapseLoops.ts';
import type { ReportState } from '../../local/report/Report.ts';

/** States entered back to back, each `seconds` long, from `start`. */
function ran(names: readonly string[], seconds = 10, start = 0, status = 'SUCCEEDED'): ReportState[] {
  return names.map((name, i) => ({
    name,
    enteredAt: start + i * seconds,
    exitedAt: start + (i + 1) * seconds,
    status,
  }));
}

describe('collapseLoops', () => {
  it('makes a polling loop one row per state with its passes, from the first entry to the last exit', () => {
    const states = ran([
      'Promote',
      ...Array.from({ length: 4 }, () => ['Wait', 'Check', 'Ready?']).flat(),
      'ShiftTraffic',
    ]);
    expect(
      collapseLoops(states, 1000).map((r) => [r.label, r.count, r.enteredAt, r.exitedAt, r.tookSeconds]),
    ).toEqual([
      ['Promote', 1, 0, 10, 10],
      ['Wait', 4, 10, 110, 40],
      ['Check', 4, 20, 120, 40],
      ['Ready?', 4, 30, 130, 40],
      ['ShiftTraffic', 1, 130, 140, 10],
    ]);
  });

  it('counts a retried task once, with the passes that ended otherwise beside its last status', () => {
    const states: ReportState[] = [
      { name: 'FenceSource', enteredAt: 0, exitedAt: 5, status: 'RETRIED', error: 'TransientServiceError' },
      { name: 'FenceSource', enteredAt: 10, exitedAt: 15, status: 'RETRIED', error: 'TransientServiceError' },
      { name: 'FenceSource', enteredAt: 30, exitedAt: null, status: 'RUNNING' },
    ];
    expect(collapseLoops(states, 40)).toEqual([
      {
        label: 'FenceSource',
        count: 3,
        enteredAt: 0,
        exitedAt: null,
        tookSeconds: 5 + 5 + 10,
        status: 'RUNNING, 2 RETRIED',
        lastStatus: 'RUNNING',
        error: 'TransientServiceError',
      },
    ]);
  });

  it('lists states entered once as they ran, and keeps Map iterations apart by index', () => {
    const states: ReportState[] = [
      ...ran(['A', 'B', 'C']),
      { name: 'Scale', index: 0, enteredAt: 40, exitedAt: 50, status: 'SUCCEEDED' },
      { name: 'Scale', index: 1, enteredAt: 40, exitedAt: 55, status: 'SUCCEEDED' },
    ];
    expect(collapseLoops(states, 100).map((r) => `${r.label}×${r.count}`)).toEqual([
      'A×1',
      'B×1',
      'C×1',
      'Scale[0]×1',
      'Scale[1]×1',
    ]);
  });

  it('gathers the passes of two loops a Parallel interleaves, each state at its first entry', () => {
    // The database and the workloads polled side by side, their entries interleaved in time.
    const states = ran([
      'CheckWorkloads',
      'CheckDatabase',
      'WaitForWorkloads',
      'WaitForDatabase',
      'CheckWorkloads',
      'WaitForWorkloads',
      'CheckDatabase',
      'CheckWorkloads',
    ]);
    expect(collapseLoops(states, 100).map((r) => [r.label, r.count, r.enteredAt, r.exitedAt])).toEqual([
      ['CheckWorkloads', 3, 0, 80],
      ['CheckDatabase', 2, 10, 70],
      ['WaitForWorkloads', 2, 20, 60],
      ['WaitForDatabase', 1, 30, 40],
    ]);
  });
});
