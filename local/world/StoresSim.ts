import type { ApplicationConfig, StoreConfig } from '../../shared/config/LifeboatConfig.ts';
import type { VirtualClock } from '../clock/VirtualClock.ts';
import { SimulatedServiceError, type FaultRegistry } from './faults.ts';
import type { LatencyModel } from './LatencyModel.ts';
import type { WorldChange } from './World.ts';

/** A member of a simulated Global Datastore: one region's replication group. */
export interface MemberSim {
  readonly region: string;
  readonly replicationGroupId: string;
  role: 'primary' | 'secondary';
  /** The lag behind the primary while replication flows (a `store-lag` fault sets it). */
  lagSeconds: number;
  /**
   * While this member's primary's region is down, since when: nothing reaches it, and it publishes no
   * lag (AWS documents no `GlobalDatastoreReplicationLag` for a primary that does not answer; modelled
   * as Aurora's is, a metric that stops).
   */
  stalledSince: number | undefined;
  /**
   * A primary demoted while its region was down: it resynchronizes once the region is back, until
   * `resyncUntil` (member `associating`, no lag published).
   */
  demotedWhileDown: boolean;
  resyncUntil: number | undefined;
  /** What its lag metric said from each instant on: the value, and whether it was published. */
  readonly lagLog: { readonly at: number; readonly lagSeconds: number; readonly publishing: boolean }[];
}

export interface StoreSim {
  readonly application: string;
  readonly config: StoreConfig;
  readonly members: Map<string, MemberSim>;
  /** `available`, or `modifying` while a failover runs ("unavailable until the promotion is complete"). */
  status: 'available' | 'modifying';
  /** The failover in progress: its target region and when it completes. */
  failover: { readonly region: string; readonly until: number } | undefined;
}

/** What a promotion of a store began with, for the invariant checker (as the database's promotions). */
export type StorePromotion = Omit<Extract<WorldChange, { type: 'promotion-started' }>, 'type' | 'store'> & {
  readonly store: string;
};

type Note = (entry: { kind: 'database'; application: string; region?: string; text: string }) => void;

/**
 * The applications' stores in the simulated world: ElastiCache Global Datastores, each a primary
 * replication group and its secondaries in the other regions, replicated asynchronously.
 *
 * - A failover (FailoverGlobalReplicationGroup) puts the datastore in `modifying` for
 *   `storeFailoverSeconds`; then the named member is the primary "and all other clusters will become
 *   secondary"
 *   (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_FailoverGlobalReplicationGroup.html).
 *   It is allowed "anytime", the primary's region down included
 *   (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastores-Console.html).
 * - The writes the promoted member had not received are lost: its lag when replication stopped, or
 *   now. An old primary whose region was down comes back as a secondary of the new one.
 */
export class StoresSim {
  readonly #clock: VirtualClock;
  readonly #latency: LatencyModel;
  readonly #faults: FaultRegistry;
  readonly #note: Note;
  readonly #changed: (application: string) => void;
  readonly #promoted: (promotion: StorePromotion, completed: boolean) => void;
  readonly #stores = new Map<string, StoreSim>();
  /** Lag set by a `store-lag` fault, by region: members there lag this much behind their primary. */
  readonly #regionLag = new Map<string, number>();

  constructor(options: {
    clock: VirtualClock;
    latency: LatencyModel;
    faults: FaultRegistry;
    applications: readonly ApplicationConfig[];
    note: Note;
    /** The application's stores changed (who takes writes). */
    changed: (application: string) => void;
    promoted: (promotion: StorePromotion, completed: boolean) => void;
  }) {
    this.#clock = options.clock;
    this.#latency = options.latency;
    this.#faults = options.faults;
    this.#note = options.note;
    this.#changed = options.changed;
    this.#promoted = options.promoted;
    for (const app of options.applications) {
      for (const config of app.stores) {
        const members = new Map<string, MemberSim>();
        app.regions.forEach((region, i) => {
          members.set(region, {
            region,
            replicationGroupId: config.replicationGroups[region] ?? `${config.name}-${region}`,
            role: i === 0 ? 'primary' : 'secondary',
            lagSeconds: 0,
            stalledSince: undefined,
            demotedWhileDown: false,
            resyncUntil: undefined,
            lagLog: [{ at: -Infinity, lagSeconds: 0, publishing: i !== 0 }],
          });
        });
        this.#stores.set(key(app.name, config.name), {
          application: app.name,
          config,
          members,
          status: 'available',
          failover: undefined,
        });
      }
    }
  }

  /** The store that has this Global Datastore id, if any. */
  byGlobalId(globalId: string): StoreSim | undefined {
    return [...this.#stores.values()].find((s) => s.config.globalReplicationGroupId === globalId);
  }

  /** The store and region of the member replication group `id` in `region`, if any. */
  memberOf(region: string, id: string): { store: StoreSim; member: MemberSim } | undefined {
    for (const store of this.#stores.values()) {
      const member = store.members.get(region);
      if (member?.replicationGroupId === id) return { store, member };
    }
    return undefined;
  }

  store(application: string, name: string): StoreSim {
    const store = this.#stores.get(key(application, name));
    if (store === undefined) throw new Error(`${application} has no store ${name}`);
    return store;
  }

  /** The datastore as DescribeGlobalReplicationGroups (with `ShowMemberInfo`) shows it. */
  describeGlobal(store: StoreSim): {
    status: string;
    members: { region: string; replicationGroupId: string; role: 'PRIMARY' | 'SECONDARY'; status: string }[];
  } {
    return {
      status: store.status,
      members: [...store.members.values()].map((m) => ({
        region: m.region,
        replicationGroupId: m.replicationGroupId,
        role: m.role === 'primary' ? 'PRIMARY' : 'SECONDARY',
        status: m.resyncUntil === undefined ? 'associated' : 'associating',
      })),
    };
  }

  /** Where the application's store stands in each region, for reports and tests. */
  roles(application: string, name: string): Record<string, 'primary' | 'secondary' | 'down'> {
    const store = this.store(application, name);
    return Object.fromEntries(
      [...store.members.values()].map((m) => [m.region, this.#faults.isOutage(m.region) ? 'down' : m.role]),
    );
  }

  /** The regions whose member of the store takes writes now (its region up). */
  writers(application: string, name: string): string[] {
    return [...this.store(application, name).members.values()]
      .filter((m) => m.role === 'primary' && !this.#faults.isOutage(m.region))
      .map((m) => m.region);
  }

  /** Every store of the application, by name. */
  names(application: string): string[] {
    return [...this.#stores.values()].filter((s) => s.application === application).map((s) => s.config.name);
  }

  /**
   * FailoverGlobalReplicationGroup to `region`'s member. A member already primary, or a failover to
   * it already running, changes nothing more; a failover to another member while one runs is refused
   * here (AWS's datastore "resolves to one primary eventually"; Lifeboat never asks for two).
   */
  failover(store: StoreSim, region: string, actor: { planned: boolean; by: string }): void {
    const member = store.members.get(region);
    if (member === undefined)
      throw new SimulatedServiceError('InvalidParameterValue', `no member in ${region}`, 400);
    if (store.failover !== undefined) {
      if (store.failover.region === region) return;
      throw new SimulatedServiceError(
        'InvalidGlobalReplicationGroupState',
        `The Global datastore ${store.config.globalReplicationGroupId} is not available: a failover to ${store.failover.region} is in progress`,
        400,
      );
    }
    if (member.role === 'primary') return;
    const source = [...store.members.values()].find((m) => m.role === 'primary');
    const sourceDown = source === undefined || this.#faults.isOutage(source.region);
    // What the member had not received: its lag, frozen where replication stopped when the source is down.
    const lagSeconds = member.lagSeconds;
    const promotion: StorePromotion = {
      application: store.application,
      store: store.config.name,
      region,
      sourceRegion: source?.region,
      sourceWritable: !sourceDown,
      lagSeconds,
      planned: actor.planned,
      by: actor.by,
    };
    this.#promoted(promotion, false);
    store.status = 'modifying';
    const until = this.#clock.seconds + this.#latency.storeFailoverSeconds;
    store.failover = { region, until };
    this.#note({
      kind: 'database',
      application: store.application,
      region,
      text: `${store.config.name}: failover of ${store.config.globalReplicationGroupId} to ${member.replicationGroupId} started (lag ${Math.round(lagSeconds)} s)`,
    });
    this.#clock.schedule(until, () => {
      store.failover = undefined;
      store.status = 'available';
      for (const m of store.members.values()) {
        if (m.role === 'primary' && m !== member && this.#faults.isOutage(m.region))
          m.demotedWhileDown = true;
        m.role = m === member ? 'primary' : 'secondary';
        m.lagSeconds = m === member ? 0 : (this.#regionLag.get(m.region) ?? 0);
        m.stalledSince = undefined;
      }
      this.#track(store);
      this.#note({
        kind: 'database',
        application: store.application,
        region,
        text: `${store.config.name}: ${member.replicationGroupId} is the primary; the other members follow it`,
      });
      this.#promoted(promotion, true);
      this.#changed(store.application);
    });
    this.#changed(store.application);
  }

  /** The member's lag datapoints, one a `period`, over [from, to), newest first (only while published). */
  lagSeries(
    store: StoreSim,
    region: string,
    from: number,
    to: number,
    period: number,
  ): { at: number; seconds: number }[] {
    const member = store.members.get(region);
    if (member === undefined) return [];
    this.#track(store);
    const points: { at: number; seconds: number }[] = [];
    const first = Math.ceil(from / period) * period;
    for (let at = first; at < to; at += period) {
      const entry = [...member.lagLog].reverse().find((e) => e.at <= at);
      if (entry?.publishing === true) points.push({ at, seconds: entry.lagSeconds });
    }
    return points.reverse();
  }

  /** A `store-lag` fault: the stores' secondaries in `region` lag `seconds` behind their primaries. */
  setLag(region: string, seconds: number): void {
    this.#regionLag.set(region, seconds);
    const start = this.#clock.seconds <= 0;
    for (const store of this.#stores.values()) {
      const member = store.members.get(region);
      if (member?.role !== 'secondary') continue;
      if (start) {
        // A fault at the scenario's start is how things already were: the member lagged before too,
        // and an outage at the same instant stops replication at that lag.
        member.lagSeconds = seconds;
        const [before] = member.lagLog;
        if (before !== undefined) member.lagLog[0] = { ...before, lagSeconds: seconds };
      } else if (member.stalledSince === undefined) {
        member.lagSeconds = seconds;
      }
      this.#track(store);
    }
    this.#note({
      kind: 'database',
      application: '',
      region,
      text: `store secondaries in ${region} lag ${seconds} s`,
    });
  }

  /** A region went down or came back: replication from a primary there stops, or resumes. */
  onOutage(region: string, down: boolean): void {
    for (const store of this.#stores.values()) {
      const primary = [...store.members.values()].find((m) => m.role === 'primary');
      for (const member of store.members.values()) {
        if (member.role !== 'secondary') continue;
        if (down && primary?.region === region && member.stalledSince === undefined) {
          member.stalledSince = this.#clock.seconds;
        } else if (!down && primary?.region === region) {
          member.stalledSince = undefined;
        }
      }
      const back = store.members.get(region);
      if (!down && back?.demotedWhileDown === true) {
        // The old primary comes back as a secondary of the new one and is synchronized from it anew.
        back.demotedWhileDown = false;
        const until = this.#clock.seconds + this.#latency.storeResyncSeconds;
        back.resyncUntil = until;
        this.#note({
          kind: 'database',
          application: store.application,
          region,
          text: `${store.config.name}: ${back.replicationGroupId} rejoins as a secondary and resynchronizes`,
        });
        this.#clock.schedule(until, () => {
          back.resyncUntil = undefined;
          this.#track(store);
          this.#note({
            kind: 'database',
            application: store.application,
            region,
            text: `${store.config.name}: ${back.replicationGroupId} is an associated secondary again`,
          });
          this.#changed(store.application);
        });
      }
      this.#track(store);
      this.#changed(store.application);
    }
  }

  /** Appends each member's metric state when it changed. */
  #track(store: StoreSim): void {
    const now = this.#clock.seconds;
    for (const member of store.members.values()) {
      const publishing =
        member.role === 'secondary' &&
        member.stalledSince === undefined &&
        member.resyncUntil === undefined &&
        !this.#faults.isOutage(member.region);
      const last = member.lagLog.at(-1);
      if (last?.publishing === publishing && last.lagSeconds === member.lagSeconds) continue;
      if (last?.at === now) member.lagLog.pop();
      member.lagLog.push({ at: now, lagSeconds: member.lagSeconds, publishing });
    }
  }
}

function key(application: string, store: string): string {
  return `${application}/${store}`;
}
