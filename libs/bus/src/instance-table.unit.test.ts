import { InstanceTable, parseAnnouncement } from './instance-table.js';

describe('InstanceTable', () => {
  it('keeps an instance while its heartbeats come and drops it once the TTL passes without one', () => {
    const table = new InstanceTable(1000);
    table.apply({ name: 'b', address: '10.0.0.2:1', state: 'up' }, 0);
    table.apply({ name: 'a', address: '10.0.0.1:1', state: 'up' }, 0);
    table.apply({ name: 'a', address: '10.0.0.1:1', state: 'up' }, 900);
    expect(table.live(1000).map((i) => i.name)).toEqual(['a', 'b']);
    expect(table.live(1500)).toEqual([{ name: 'a', address: '10.0.0.1:1' }]);
  });

  it('drops an instance that said it is gone at once, and takes a new address from a restart', () => {
    const table = new InstanceTable(1000);
    table.apply({ name: 'a', address: '10.0.0.1:1', state: 'up' }, 0);
    table.apply({ name: 'a', address: '', state: 'gone' }, 10);
    expect(table.live(10)).toEqual([]);
    table.apply({ name: 'a', address: '10.0.0.9:1', state: 'up' }, 20);
    expect(table.live(20)).toEqual([{ name: 'a', address: '10.0.0.9:1' }]);
  });

  it('reads announcements and refuses anything else', () => {
    expect(parseAnnouncement('{"name":"a","address":"h:1","state":"up"}')).toEqual({
      name: 'a',
      address: 'h:1',
      state: 'up',
    });
    expect(parseAnnouncement('{"name":"a","address":"h:1","state":"maybe"}')).toBeUndefined();
    expect(parseAnnouncement('not json')).toBeUndefined();
  });
});

describe('InstanceTable: draining', () => {
  it('keeps a draining instance reachable, marked so', () => {
    const table = new InstanceTable(1000);
    table.apply({ name: 'a', address: 'h:1', state: 'draining' }, 0);
    expect(table.live(0)).toEqual([{ name: 'a', address: 'h:1', draining: true }]);
  });
});

describe('InstanceTable: missing', () => {
  it('lists an instance silent beyond the TTL as missing until it is forgotten, and alive again when heard', () => {
    const table = new InstanceTable(1000, 5000);
    table.apply({ name: 'a', address: 'h:1', state: 'up' }, 0);
    expect(table.live(2000)).toEqual([{ name: 'a', address: 'h:1', missing: true }]);
    table.apply({ name: 'a', address: 'h:1', state: 'up' }, 2500);
    expect(table.live(2500)).toEqual([{ name: 'a', address: 'h:1' }]);
    expect(table.live(8000)).toEqual([]);
  });
});

describe('InstanceTable: resources', () => {
  it('keeps what an instance offers from its latest announcement', () => {
    const table = new InstanceTable(1000);
    const sip = [{ transport: 'udp', host: '192.0.2.10', port: 5060 }];
    table.apply({ name: 'a', address: 'h:1', state: 'up', resources: { sip } }, 0);
    expect(table.live(0)).toEqual([{ name: 'a', address: 'h:1', resources: { sip } }]);
  });

  it('reads well-formed resources and leaves malformed entries out', () => {
    const text = JSON.stringify({
      name: 'm',
      address: 'h:2',
      state: 'up',
      resources: {
        media: [
          { address: '192.0.2.20', portMin: 30000, portMax: 40000 },
          { address: '192.0.2.21', portMin: 'x', portMax: 40000 },
        ],
        sip: 'nonsense',
      },
    });
    expect(parseAnnouncement(text)).toEqual({
      name: 'm',
      address: 'h:2',
      state: 'up',
      resources: { media: [{ address: '192.0.2.20', portMin: 30000, portMax: 40000 }] },
    });
  });
});
