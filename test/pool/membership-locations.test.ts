/**
 * Locations from OpenVPN's client changes (gateway/pool/locations.ts), on the memory pool state: an
 * established client records this gateway with an epoch, its disconnect clears only that epoch, a new
 * OpenVPN run clears the previous run's clients, a rejoin records every held tunnel again.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../gateway/log.ts';
import { Locations } from '../../gateway/pool/locations.ts';
import { MemoryPoolState } from '../../gateway/pool/pool-state-memory.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';

const setup = () => {
  const state = new MemoryPoolState(new MemoryStore());
  const locations = new Locations({ state, gatewayId: 'gw-a', log: silentLogger });
  const settled = () => locations.retryPending(); // resolves after every queued write
  const where = async () =>
    Object.fromEntries((await state.locations()).map((l) => [l.containerId, `${l.gatewayId}@${l.epoch}`]));
  return { state, locations, settled, where };
};

describe('Locations', () => {
  it('records an established client and clears it on disconnect', async () => {
    const { locations, settled, where } = setup();
    locations.established(0, 'c1');
    locations.established(1, 'c2');
    await settled();
    expect(await where()).toEqual({ c1: 'gw-a@1', c2: 'gw-a@2' });
    expect(locations.count()).toBe(2);
    expect(locations.render()).toContain('gateway_pool_located_containers 2\n');
    locations.disconnected(0, 'c1');
    await settled();
    expect(await where()).toEqual({ c2: 'gw-a@2' });
    expect(locations.count()).toBe(1);
  });

  it('never clears a newer connect: the container moved to another gateway before its disconnect here', async () => {
    const { state, locations, settled, where } = setup();
    locations.established(0, 'c1');
    await settled();
    const elsewhere = await state.setLocation('c1', 'gw-b', Date.now());
    locations.disconnected(0, 'c1');
    await settled();
    expect(await where()).toEqual({ c1: `gw-b@${elsewhere}` });
  });

  it("clears the previous OpenVPN run's clients on a restart, keeping the new run's", async () => {
    const { locations, settled, where } = setup();
    locations.established(0, 'c1');
    locations.established(1, 'c2');
    await settled();
    // The new run's client 0 is c3, established before the supervisor said the run was ready.
    locations.established(0, 'c3');
    locations.restarted([{ cid: 0, commonName: 'c3' }]);
    await settled();
    expect(Object.keys(await where())).toEqual(['c3']);
    expect(locations.count()).toBe(1);
  });

  it('records every held tunnel again after the gateway was declared dead', async () => {
    const { state, locations, settled, where } = setup();
    locations.established(0, 'c1');
    await settled();
    expect(await state.dropLocationsOf('gw-a')).toEqual(['c1']);
    await locations.reassert();
    expect(await where()).toEqual({ c1: 'gw-a@2' });
    locations.disconnected(0, 'c1');
    await settled();
    expect(await where(), 'the new epoch is the one cleared').toEqual({});
  });

  it('clears every location it recorded on a clean stop', async () => {
    const { state, locations, where } = setup();
    locations.established(0, 'c1');
    locations.established(1, 'c2');
    await state.setLocation('c9', 'gw-b', Date.now());
    await locations.clearAll();
    expect(Object.keys(await where())).toEqual(['c9']);
  });
});
