import { closestName, didYouMean } from '../../../shared/config/didYouMean.ts';
import { AWS_REGIONS, unknownRegionProblem } from '../../../shared/config/regions.ts';

describe('did you mean', () => {
  it('names the closest candidate within two edits (three for a long name)', () => {
    expect(closestName('eu-wset-1', ['us-east-1', 'eu-west-1', 'eu-west-2'])).toBe('eu-west-1');
    expect(closestName('us-est-1', ['us-east-1', 'us-west-2'])).toBe('us-east-1');
    expect(closestName('ap-southeast-9', ['ap-southeast-1', 'ap-southeast-2'])).toBe('ap-southeast-1');
    expect(closestName('mars-1', ['us-east-1', 'eu-west-1'])).toBeUndefined();
  });

  it('says nothing for an exact name or when nothing is close', () => {
    expect(didYouMean('us-east-1', ['us-east-1'])).toBe('');
    expect(didYouMean('mars-1', ['us-east-1'])).toBe('');
    expect(didYouMean('US-EAST-1', ['us-east-1'])).toBe('; did you mean "us-east-1"?');
  });
});

describe('AWS regions', () => {
  it('knows the regions of every partition, from AWS CDK’s region facts', () => {
    for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1']) {
      expect(AWS_REGIONS).toContain(region);
      expect(unknownRegionProblem(region)).toBeUndefined();
    }
  });

  it('refuses a name AWS does not have, with the likely one', () => {
    expect(unknownRegionProblem('eu-wset-1')).toBe(
      '"eu-wset-1" is not an AWS region; did you mean "eu-west-1"?',
    );
    expect(unknownRegionProblem('zz-north-9')).toBe(
      '"zz-north-9" is not an AWS region; expected one such as "us-east-1"',
    );
  });
});
