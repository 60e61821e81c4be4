import { rbacFor } from '../../../shared/config/kubernetesRbac.ts';
import { loadCliConfig, parseCommand, UsageError } from '../args.ts';
import type { CliIo } from '../main.ts';

export const KUBERNETES_RBAC_USAGE = `Usage:
  lifeboat kubernetes-rbac --cluster <name> [--region <region>] [--config <file>]

Prints, as a Kubernetes List that kubectl applies, the RBAC an EKS cluster needs beyond the access
entries the stacks create: in each namespace with workloads a KEDA ScaledObject owns, a Role that
reads and patches exactly those ScaledObjects, bound to the group lifeboat-scalers, which the
stacks' access entries give Lifeboat's workloads role (and the trigger's, where it pre-scales); in
each namespace a custom step runs a Job in, a Role that creates, reads and deletes Jobs, bound to
the group lifeboat-jobs of the custom-step role.
Apply it with the cluster's own credentials:

  lifeboat kubernetes-rbac --cluster ai-gateway-usw2 | kubectl --context <that cluster> apply -f -

Options:
  --cluster <name>   the EKS cluster (as named in the config's workloads)
  --region <region>  its region, where clusters of that name are in several
  --config <file>    the config (default: ./lifeboat.config.json, else the example)
`;

export function kubernetesRbacCommand(args: readonly string[], io: CliIo): number {
  const { values } = parseCommand(args, {
    cluster: { type: 'string' },
    region: { type: 'string' },
    config: { type: 'string' },
  });
  const { config } = loadCliConfig(values.config, io, 'kubernetes-rbac', false);
  const clusters = config.applications.flatMap((app) =>
    Object.entries(app.workloads).map(([region, w]) => ({ region, name: w.clusterName })),
  );
  const names = [...new Set(clusters.map((c) => c.name))].sort();
  const name = values.cluster;
  if (name === undefined || name === '') {
    throw new UsageError(`--cluster is required: name the EKS cluster (${names.join(', ')})`);
  }
  const regions = [...new Set(clusters.filter((c) => c.name === name).map((c) => c.region))].sort();
  if (regions.length === 0) {
    throw new UsageError(
      `--cluster: no cluster named "${name}" in the config's workloads; it has ${names.join(', ')}`,
    );
  }
  const region = values.region ?? (regions.length === 1 ? regions[0] : undefined);
  if (region === undefined) {
    throw new UsageError(`--region is required: clusters named ${name} are in ${regions.join(', ')}`);
  }
  if (!regions.includes(region)) {
    throw new UsageError(
      `--region: the config has no cluster ${name} in ${region}; it is in ${regions.join(', ')}`,
    );
  }
  const objects = rbacFor(config, region, name);
  if (objects.length === 0) {
    io.stderr(
      `${name} needs no RBAC beyond its access entries: no KEDA ScaledObject owns its workloads and no custom step runs a Job there.\n`,
    );
  }
  io.stdout(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`);
  return 0;
}
