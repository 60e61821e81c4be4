import { median, ratio, renderTable, round, verdict } from '../../bench/lib/stats.ts';

describe('median', () => {
  it('takes the middle value of an odd count, in any order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('takes the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('refuses no values', () => {
    expect(() => median([])).toThrow('median of no values');
  });
});

describe('ratio and verdict', () => {
  it('divides by a positive base and refuses zero', () => {
    expect(ratio(90, 30)).toBe(3);
    expect(() => ratio(1, 0)).toThrow('ratio against 0: the base must be positive');
  });

  it('says met at the limit and names the gap past it', () => {
    expect(verdict(1.05, 1.05)).toBe('met');
    expect(verdict(1.2, 1.05)).toBe('missed by 0.15');
    expect(verdict(520, 500, ' KB')).toBe('missed by 20 KB');
  });

  it('rounds to the digits asked', () => {
    expect(round(1.23456, 2)).toBe(1.23);
    expect(round(1.5, 0)).toBe(2);
  });
});

describe('renderTable', () => {
  it('pads columns to their widest cell and right-aligns numeric columns', () => {
    expect(
      renderTable(
        ['name', 'KB'],
        [
          ['notify', 193],
          ['preflight', 1024],
        ],
      ),
    ).toBe(['name         KB', '---------  ----', 'notify      193', 'preflight  1024'].join('\n'));
  });
});
