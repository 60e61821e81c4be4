import { SimulatedServiceError } from '../../world/faults.ts';
import type { StoreSim } from '../../world/StoresSim.ts';
import type { World } from '../../world/World.ts';
import { promotionActor } from './rdsDatabase.ts';
import { type ServiceOperations, text } from './ServiceTwin.ts';

/** The nodes of a simulated member replication group: a primary and one replica (cluster mode disabled). */
export const MEMBER_NODES = ['001', '002'] as const;

/** The node that is its shard's primary, which alone publishes `GlobalDatastoreReplicationLag`. */
export const PRIMARY_NODE = '001';

/** The store whose Global Datastore has this id, or ElastiCache's 404. */
function globalStore(world: World, id: string): StoreSim {
  const store = world.stores.byGlobalId(id);
  if (store === undefined) {
    throw new SimulatedServiceError(
      'GlobalReplicationGroupNotFoundFault',
      `Global Datastore ${id} not found`,
      404,
    );
  }
  return store;
}

/**
 * ElastiCache over the simulated world's stores: the Global Datastores' members and their failover.
 * Shapes as https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_GlobalReplicationGroup.html
 * and API_ReplicationGroup.html give them.
 */
export function elastiCacheOperations(): ServiceOperations {
  return {
    DescribeGlobalReplicationGroups: (input, context) => {
      const { world } = context;
      world.faults.check('elasticache', 'DescribeGlobalReplicationGroups', context.region);
      const id = text(input.GlobalReplicationGroupId);
      const store = globalStore(world, id);
      const global = world.stores.describeGlobal(store);
      return {
        GlobalReplicationGroups: [
          {
            GlobalReplicationGroupId: id,
            Status: global.status,
            Engine: 'valkey',
            EngineVersion: '8.0',
            ClusterEnabled: false,
            ARN: `arn:${context.partition}:elasticache::${context.account}:globalreplicationgroup:${id}`,
            // Without ShowMemberInfo the answer has no Members.
            ...(input.ShowMemberInfo === true
              ? {
                  Members: global.members.map((m) => ({
                    ReplicationGroupId: m.replicationGroupId,
                    ReplicationGroupRegion: m.region,
                    Role: m.role,
                    AutomaticFailover: 'enabled',
                    Status: m.status,
                  })),
                }
              : {}),
          },
        ],
      };
    },
    DescribeReplicationGroups: (input, context) => {
      const { world } = context;
      world.faults.check('elasticache', 'DescribeReplicationGroups', context.region);
      const id = text(input.ReplicationGroupId);
      const found = world.stores.memberOf(context.region, id);
      if (found === undefined) {
        throw new SimulatedServiceError(
          'ReplicationGroupNotFoundFault',
          `Replication group ${id} not found`,
          404,
        );
      }
      const global = world.stores.describeGlobal(found.store);
      return {
        ReplicationGroups: [
          {
            ReplicationGroupId: id,
            Status: global.status === 'modifying' ? 'modifying' : 'available',
            MemberClusters: MEMBER_NODES.map((n) => `${id}-${n}`),
            GlobalReplicationGroupInfo: {
              GlobalReplicationGroupId: found.store.config.globalReplicationGroupId,
              GlobalReplicationGroupMemberRole: found.member.role,
            },
            AutomaticFailover: 'enabled',
            MultiAZ: 'enabled',
            ARN: `arn:${context.partition}:elasticache:${context.region}:${context.account}:replicationgroup:${id}`,
          },
        ],
      };
    },
    FailoverGlobalReplicationGroup: (input, context) => {
      const { world } = context;
      world.faults.check('elasticache', 'FailoverGlobalReplicationGroup', context.region);
      const id = text(input.GlobalReplicationGroupId);
      const store = globalStore(world, id);
      const region = text(input.PrimaryRegion);
      const member = store.members.get(region);
      if (member === undefined || member.replicationGroupId !== text(input.PrimaryReplicationGroupId)) {
        throw new SimulatedServiceError(
          'InvalidParameterValue',
          `${text(input.PrimaryReplicationGroupId)} in ${region} is not a member of the Global Datastore ${id}`,
          400,
        );
      }
      world.stores.failover(store, region, promotionActor(context.event));
      return {
        GlobalReplicationGroup: {
          GlobalReplicationGroupId: id,
          Status: world.stores.describeGlobal(store).status,
        },
      };
    },
  };
}
