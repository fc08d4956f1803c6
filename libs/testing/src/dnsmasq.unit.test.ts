import { dnsmasqRecordArgs } from './dnsmasq.js';

describe('dnsmasqRecordArgs', () => {
  it('turns records into dnsmasq flags, answering their zones locally so nothing is forwarded', () => {
    expect(
      dnsmasqRecordArgs({
        naptr: [
          { name: 'c.test', order: 10, preference: 5, service: 'SIP+D2U', replacement: '_sip._udp.c.test' },
        ],
        srv: [{ name: '_sip._udp.c.test', target: 'gw.c.test', port: 5070, priority: 1, weight: 2 }],
        hosts: [
          { name: 'gw.c.test', address: '127.0.0.1', ttlS: 5 },
          { name: 'v6.other.test', address: '::1' },
        ],
        ttlS: 30,
      }),
    ).toEqual([
      '--local-ttl=30',
      '--local=/c.test/',
      '--local=/other.test/',
      '--naptr-record=c.test,10,5,s,SIP+D2U,,_sip._udp.c.test',
      '--srv-host=_sip._udp.c.test,gw.c.test,5070,1,2',
      '--host-record=gw.c.test,127.0.0.1,5',
      '--host-record=v6.other.test,::1,30',
    ]);
  });
});
