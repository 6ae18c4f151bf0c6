/**
 * The pool state contract (gateway/pool/pool-state.ts): one suite, run against memory and Redis
 * (pool-state.test.ts). Feed messages are read from the store the state publishes on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayMember, PoolStateStore } from '../../gateway/pool/pool-state.ts';
import type { Store, StoreChange } from '../../gateway/store/store.ts';

export interface PoolStateUnderTest {
  state: PoolStateStore;
  /** The store whose change feed the state publishes on. */
  store: Store;
  dispose(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const member = (id: string, extra: Partial<GatewayMember> = {}): Omit<GatewayMember, 'lastBeat'> => ({
  id,
  backbone: '198.51.100.7',
  vpnRemote: `${id}.example.test:1194`,
  version: '1.2.3',
  startedAt: T0,
  draining: false,
  ...extra,
});

/** Pool and location changes, without the marker's own (its clear may arrive during the next call). */
const poolAndLocationChanges = (changes: StoreChange[]) =>
  changes.filter((c) => c.kind === 'pool' || (c.kind === 'location' && c.containerId !== 'marker'));

export function poolStateContract(name: string, make: () => Promise<PoolStateUnderTest>) {
  describe(`PoolStateStore contract: ${name}`, () => {
    let state: PoolStateStore;
    let store: Store;
    let dispose: () => Promise<void>;
    let changes: StoreChange[];
    let unsubscribe: () => Promise<void>;

    /**
     * The changes published before a marker write made now (setLocation of `marker`), without it. The
     * marker is seen only after every earlier message, so "nothing else was published" is checked too.
     */
    const published = async (): Promise<StoreChange[]> => {
      const epoch = await state.setLocation('marker', 'marker-gw', T0);
      const isMarker = (c: StoreChange) => c.kind === 'location' && c.epoch === epoch;
      for (let i = 0; i < 500 && !changes.some(isMarker); i++) await new Promise((r) => setTimeout(r, 10));
      expect(changes.some(isMarker), 'the marker change arrived').toBe(true);
      const before = changes.slice(0, changes.findIndex(isMarker));
      await state.clearLocation('marker', 'marker-gw', epoch);
      changes.length = 0;
      return poolAndLocationChanges(before);
    };

    beforeEach(async () => {
      ({ state, store, dispose } = await make());
      changes = [];
      unsubscribe = await store.subscribe((c) => changes.push(c));
    });
    afterEach(async () => {
      await unsubscribe();
      await dispose();
    });

    it('records members with their last beat, newest first, and announces only new or changed ones', async () => {
      expect(await state.beat(member('gw-a'), T0 + 1_000), 'joined').toBe(true);
      await state.beat(member('gw-b'), T0 + 2_000);
      expect(await published()).toEqual([
        { kind: 'pool', gatewayId: 'gw-a' },
        { kind: 'pool', gatewayId: 'gw-b' },
      ]);
      expect(await state.beat(member('gw-a'), T0 + 3_000), 'already a member').toBe(false);
      expect(await published(), 'a plain beat is not announced').toEqual([]);
      expect(await state.members()).toEqual([
        { ...member('gw-a'), lastBeat: T0 + 3_000 },
        { ...member('gw-b'), lastBeat: T0 + 2_000 },
      ]);
      expect(await state.beat(member('gw-b', { draining: true }), T0 + 4_000)).toBe(false);
      expect(await published()).toEqual([{ kind: 'pool', gatewayId: 'gw-b' }]);
      expect((await state.members())[0]).toMatchObject({ id: 'gw-b', draining: true, lastBeat: T0 + 4_000 });
      await state.beat(member('gw-a', { startedAt: T0 + 5_000 }), T0 + 5_000);
      expect(await published(), 'a restart changes startedAt').toEqual([{ kind: 'pool', gatewayId: 'gw-a' }]);
    });

    it('removes a member that leaves, once', async () => {
      await state.beat(member('gw-a'), T0);
      await state.beat(member('gw-b'), T0);
      await published();
      expect(await state.leave('gw-a')).toBe(true);
      expect(await state.leave('gw-a')).toBe(false);
      expect(await state.leave('gw-never')).toBe(false);
      expect(await published()).toEqual([{ kind: 'pool', gatewayId: 'gw-a' }]);
      expect((await state.members()).map((m) => m.id)).toEqual(['gw-b']);
      expect(await state.beat(member('gw-a'), T0 + 1_000), 'joined again').toBe(true);
      expect(
        (await state.members()).map((m) => m.id),
        'a beat after leaving joins again',
      ).toEqual(['gw-a', 'gw-b']);
    });

    it('gives every location a pool-wide epoch that only increases, and announces it', async () => {
      const e1 = await state.setLocation('c1', 'gw-a', T0);
      const e2 = await state.setLocation('c2', 'gw-b', T0 + 1);
      const e3 = await state.setLocation('c1', 'gw-b', T0 + 2);
      expect(e2).toBeGreaterThan(e1);
      expect(e3).toBeGreaterThan(e2);
      expect(await published()).toEqual([
        { kind: 'location', containerId: 'c1', gatewayId: 'gw-a', epoch: e1 },
        { kind: 'location', containerId: 'c2', gatewayId: 'gw-b', epoch: e2 },
        { kind: 'location', containerId: 'c1', gatewayId: 'gw-b', epoch: e3 },
      ]);
      const sorted = (await state.locations()).sort((a, b) => a.containerId.localeCompare(b.containerId));
      expect(sorted).toEqual([
        { containerId: 'c1', gatewayId: 'gw-b', epoch: e3, since: T0 + 2 },
        { containerId: 'c2', gatewayId: 'gw-b', epoch: e2, since: T0 + 1 },
      ]);
    });

    it('ignores a stale clear: a late disconnect never clears a newer connect', async () => {
      const old = await state.setLocation('c1', 'gw-a', T0);
      const current = await state.setLocation('c1', 'gw-b', T0 + 1);
      await published();
      expect(await state.clearLocation('c1', 'gw-a', old), 'old gateway, old epoch').toBe(false);
      expect(await state.clearLocation('c1', 'gw-a', current), 'epoch of another gateway').toBe(false);
      expect(await state.clearLocation('c1', 'gw-b', old), 'own gateway, old epoch').toBe(false);
      expect(await state.clearLocation('c9', 'gw-b', current), 'no location').toBe(false);
      expect(await published(), 'a refused clear publishes nothing').toEqual([]);
      expect(await state.locations()).toEqual([
        { containerId: 'c1', gatewayId: 'gw-b', epoch: current, since: T0 + 1 },
      ]);
      expect(await state.clearLocation('c1', 'gw-b', current)).toBe(true);
      expect(await state.clearLocation('c1', 'gw-b', current), 'twice').toBe(false);
      expect(await published()).toEqual([
        { kind: 'location', containerId: 'c1', gatewayId: null, epoch: current },
      ]);
      expect(await state.locations()).toEqual([]);
    });

    it("drops a dead gateway's locations, and only those, idempotently", async () => {
      const e1 = await state.setLocation('c1', 'gw-dead', T0);
      await state.setLocation('c2', 'gw-live', T0);
      const e3 = await state.setLocation('c3', 'gw-dead', T0);
      await published();
      expect((await state.dropLocationsOf('gw-dead')).sort()).toEqual(['c1', 'c3']);
      const dropped = await published();
      expect(dropped).toHaveLength(2);
      expect(dropped).toEqual(
        expect.arrayContaining([
          { kind: 'location', containerId: 'c1', gatewayId: null, epoch: e1 },
          { kind: 'location', containerId: 'c3', gatewayId: null, epoch: e3 },
        ]),
      );
      expect((await state.locations()).map((l) => l.containerId)).toEqual(['c2']);
      expect(await state.dropLocationsOf('gw-dead'), 'a second gateway doing it too').toEqual([]);
      expect(await published()).toEqual([]);
    });

    it('keeps pool state apart from the route table', async () => {
      await state.beat(member('gw-a'), T0);
      await state.setLocation('c1', 'gw-a', T0);
      expect(await store.listRoutes()).toEqual([]);
      expect(await store.routesVersion()).toBe(0);
    });
  });
}
