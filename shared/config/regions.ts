import { RegionInfo } from 'aws-cdk-lib/region-info';
import { didYouMean } from './didYouMean.ts';

/**
 * Every AWS region, from the region facts AWS CDK ships and keeps current with each release (the
 * commercial partition, China, GovCloud and the isolated ones): the regions a stack can be
 * synthesized for. A name outside it is a typo that would otherwise synthesize stacks for a region
 * that does not exist.
 */
export const AWS_REGIONS: readonly string[] = RegionInfo.regions.map((r) => r.name).sort();

/** Why a region name is not one AWS has (with the likely intended one), or undefined when it is. */
export function unknownRegionProblem(name: string): string | undefined {
  if (AWS_REGIONS.includes(name)) return undefined;
  return `"${name}" is not an AWS region${didYouMean(name, AWS_REGIONS) || '; expected one such as "us-east-1"'}`;
}
