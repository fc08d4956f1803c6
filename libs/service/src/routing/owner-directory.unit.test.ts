import { OwnerDirectory, ownerFromAnswers, Turns, type PeerInstance } from './owner-directory.js';

const a: PeerInstance = { name: 'a', address: 'h:1' };
const b: PeerInstance = { name: 'b', address: 'h:2' };

describe('ownerFromAnswers', () => {
  it('is the instance that holds the thing, whatever the others said', () => {
    expect(ownerFromAnswers([a, b], ['unreachable', 'owner'])).toEqual({ owner: b });
  });
  it('names the instances that did not answer when none holds it', () => {
    expect(ownerFromAnswers([a, b], ['unreachable', 'not-owner'])).toEqual({ unreachable: ['a'] });
    expect(ownerFromAnswers([a, b], ['not-owner', 'not-owner'])).toEqual({ unreachable: [] });
  });
});

describe('OwnerDirectory', () => {
  const holdings = new Map([['call-1', 'h:2']]);
  const directory = (live: PeerInstance[]) => {
    const probed: string[] = [];
    const d = new OwnerDirectory({
      instances: { list: () => live },
      fallbackAddress: 'any:1',
      probe: (address, key) => {
        probed.push(address);
        return address === 'dead:1'
          ? Promise.reject(new Error('down'))
          : Promise.resolve(holdings.get(key) === address);
      },
    });
    return { d, probed };
  };

  it('spreads new things over the live instances in turn and remembers each owner', async () => {
    const { d, probed } = directory([a, b]);
    expect([d.assign('x').name, d.assign('y').name, d.assign('z').name]).toEqual(['a', 'b', 'a']);
    expect(await d.find('y')).toEqual({ owner: b });
    expect(probed).toEqual([]);
  });

  it('finds an owner it did not assign by asking once, then remembers it', async () => {
    const { d, probed } = directory([a, b]);
    expect(await d.find('call-1')).toEqual({ owner: b });
    expect(await d.find('call-1')).toEqual({ owner: b });
    expect(probed).toEqual(['h:1', 'h:2']);
  });

  it('keeps a remembered owner that stopped announcing itself (it comes back under its name)', async () => {
    const live = [a, b];
    const { d } = directory(live);
    d.remember('k', b);
    live.pop();
    expect(await d.find('k')).toEqual({ owner: b });
  });

  it('uses the fallback address while no instance announced itself', async () => {
    const { d } = directory([]);
    expect(d.assign('x')).toEqual({ name: '', address: 'any:1' });
    expect(await d.find('anything')).toEqual({ owner: { name: '', address: 'any:1' } });
  });

  it('says which instance did not answer when nobody that answered holds the thing', async () => {
    const { d } = directory([a, { name: 'c', address: 'dead:1' }]);
    expect(await d.find('other')).toEqual({ unreachable: ['c'] });
  });
});

describe('Turns', () => {
  it('gives no new work to an instance that drains while another takes it', () => {
    const turns = new Turns();
    const draining = { ...a, draining: true };
    expect([turns.next([draining, b]), turns.next([draining, b])]).toEqual([b, b]);
    expect(turns.next([draining])).toEqual(draining);
  });
});

describe('OwnerDirectory: a missing instance', () => {
  it("gets no new work, and makes a thing nobody alive holds unknown rather than nobody's", async () => {
    const missing = { name: 'c', address: 'h:9', missing: true };
    const d = new OwnerDirectory({
      instances: { list: () => [a, missing] },
      fallbackAddress: 'any:1',
      probe: () => Promise.resolve(false),
    });
    expect([d.assign('x'), d.assign('y')]).toEqual([a, a]);
    expect(await d.find('z')).toEqual({ unreachable: ['c'] });
  });
});
