import { DEFAULT_LATENCY, LATENCY_KEYS, LATENCY_RANGES } from '../../local/world/LatencyModel.ts';

describe('LATENCY_RANGES', () => {
  it('spans each default with its source, once per latency', () => {
    expect(new Set(LATENCY_RANGES.map((r) => r.key)).size).toBe(LATENCY_RANGES.length);
    for (const range of LATENCY_RANGES) {
      expect(LATENCY_KEYS).toContain(range.key);
      expect([range.key, range.low <= DEFAULT_LATENCY[range.key]]).toEqual([range.key, true]);
      expect([range.key, DEFAULT_LATENCY[range.key] <= range.high]).toEqual([range.key, true]);
      expect([range.key, range.low < range.high]).toEqual([range.key, true]);
      expect(range.source.length).toBeGreaterThan(20);
    }
  });
});
