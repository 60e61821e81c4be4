import { route53Answers, route53Shares } from '../../local/world/route53Answers.ts';

const r = (region: string, weight: number, healthy: boolean) => ({ region, weight, healthy });

describe('route53Answers', () => {
  // The cases of the table in Route 53's "Health checks and weighted routing": weights 1, 1, 0.
  it.each([
    [[false, false, true], ['c']],
    [
      [false, false, false],
      ['a', 'b'],
    ],
    [[false, true, false], ['b']],
    [
      [true, true, false],
      ['a', 'b'],
    ],
    [
      [true, true, true],
      ['a', 'b'],
    ],
  ])('with health %j answers %j', (health, expected) => {
    const [ha, hb, hc] = health as [boolean, boolean, boolean];
    expect(route53Answers([r('a', 1, ha), r('b', 1, hb), r('c', 0, hc)])).toEqual(expected);
  });

  it('answers with every record when all weights are zero', () => {
    expect(route53Answers([r('a', 0, true), r('b', 0, true)])).toEqual(['a', 'b']);
    expect(route53Answers([r('a', 0, false), r('b', 0, true)])).toEqual(['b']);
    expect(route53Answers([r('a', 0, false), r('b', 0, false)])).toEqual(['a', 'b']);
  });

  it('skips an unhealthy record that has weight', () => {
    expect(route53Answers([r('a', 100, false), r('b', 0, true)])).toEqual(['b']);
  });

  it('shares queries by weight among the answered records, equally when all are zero', () => {
    expect(route53Shares([r('a', 75, true), r('b', 25, true)])).toEqual(
      new Map([
        ['a', 0.75],
        ['b', 0.25],
      ]),
    );
    expect(route53Shares([r('a', 0, true), r('b', 0, true)])).toEqual(
      new Map([
        ['a', 0.5],
        ['b', 0.5],
      ]),
    );
    expect(route53Shares([r('a', 100, false), r('b', 0, true)])).toEqual(new Map([['b', 1]]));
  });
});
