import type { App } from 'aws-cdk-lib';
import type { LifeboatConfig } from '../shared/config/LifeboatConfig.ts';
import { DETECTION_REGION, stackName } from '../shared/config/naming.ts';
import { ClusterAccessStack } from './stacks/ClusterAccessStack.ts';
import { ControlPlaneStack } from './stacks/ControlPlaneStack.ts';
import { DetectionStack } from './stacks/DetectionStack.ts';
import { StateStack } from './stacks/StateStack.ts';

export interface LifeboatStacks {
  readonly detection: DetectionStack;
  readonly states: ReadonlyMap<string, StateStack>;
  readonly controlPlanes: ReadonlyMap<string, ControlPlaneStack>;
  /** Per region with EKS clusters: the functions' access entries on them. */
  readonly clusterAccess: ReadonlyMap<string, ClusterAccessStack>;
}

/**
 * Every stack of one Lifeboat deployment: per control-plane region a state stack and a control-plane
 * stack, and the detection stack in us-east-1. Dependencies order `cdk deploy --all`: replica keys
 * before the global table, the table before the control planes, the control planes' buses before
 * the rules that forward to them.
 *
 * The stacks' account is `config.account`, else `account` (the CDK CLI's, from the credentials), else
 * left to deployment: each stack is then environment-agnostic in its account (its region is always
 * set), every ARN and condition names the account as `AWS::AccountId`, and `cdk deploy` deploys to
 * the credentials' account. So `cdk synth` needs no credentials.
 */
export function createLifeboat(app: App, config: LifeboatConfig, account?: string): LifeboatStacks {
  const [homeRegion] = config.controlPlaneRegions;
  if (homeRegion === undefined) throw new Error('controlPlaneRegions is empty');
  const envFor = (region: string) => ({ account: config.account ?? account, region });

  const states = new Map<string, StateStack>();
  for (const region of config.controlPlaneRegions) {
    states.set(
      region,
      new StateStack(app, stackName('State', region), {
        env: envFor(region),
        config,
        homeRegion,
        description: `Lifeboat state in ${region}: the ledger's key${region === homeRegion ? ' and the ledger global table' : ''}`,
        terminationProtection: true,
      }),
    );
  }
  const home = states.get(homeRegion);
  if (home === undefined) throw new Error(`no state stack for ${homeRegion}`);
  for (const [region, state] of states) {
    if (region !== homeRegion)
      home.addStackDependency(state, "the ledger replica in this region uses this stack's key");
  }

  const controlPlanes = new Map<string, ControlPlaneStack>();
  for (const [region, state] of states) {
    const controlPlane = new ControlPlaneStack(app, stackName('ControlPlane', region), {
      env: envFor(region),
      config,
      ledgerKey: state.key,
      description: `Lifeboat control plane in ${region}: event bus, functions and workflows`,
    });
    controlPlane.addStackDependency(home, 'the ledger table and its replicas');
    controlPlanes.set(region, controlPlane);
  }

  // The access entries name the control planes' roles, so they come after every control plane.
  const clusterAccess = new Map<string, ClusterAccessStack>();
  const clusterRegions = [...new Set(config.applications.flatMap((a) => Object.keys(a.workloads)))].sort();
  const workloadsRegions = [...controlPlanes.keys()];
  const drillRegions = [...controlPlanes].filter(([, c]) => c.backups.drill !== undefined).map(([r]) => r);
  for (const region of clusterRegions) {
    const access = new ClusterAccessStack(app, stackName('ClusterAccess', region), {
      env: envFor(region),
      config,
      workloadsRegions,
      drillRegions,
      customRegions: workloadsRegions,
      description: `Lifeboat's Kubernetes access to the EKS clusters in ${region} (access entries)`,
    });
    for (const controlPlane of controlPlanes.values()) {
      access.addStackDependency(controlPlane, "its access entries name the functions' roles");
    }
    clusterAccess.set(region, access);
  }

  const detection = new DetectionStack(app, stackName('Detection'), {
    env: envFor(DETECTION_REGION),
    config,
    description:
      'Lifeboat detection: Route 53 health checks, their alarms, and forwarding to every control plane',
  });
  for (const controlPlane of controlPlanes.values()) {
    detection.addStackDependency(controlPlane, 'forwards events to its event bus');
  }

  return { detection, states, controlPlanes, clusterAccess };
}
