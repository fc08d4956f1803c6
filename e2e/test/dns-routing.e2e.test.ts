// RFC 3263 end to end: CreateCall to a SIP domain whose carrier is found through DNS. dnsmasq on loopback
// serves NAPTR → SRV → A for example-carrier.test; the SRV names two sipp gateways, the first (priority 10)
// out of service with 503, the second (priority 20) answering. The engine follows the records, fails over,
// and the call is answered by the second gateway.
import { join } from 'node:path';
import type { callControl } from '@callctl/proto';
import {
  freePort,
  startDnsmasq,
  startSipp,
  waitFor,
  type DnsmasqFixture,
  type RunningSipp,
} from '@callctl/testing';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(60_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');

describe('calls to a domain routed by DNS (NAPTR, SRV, A from dnsmasq)', () => {
  let p: PlatformUnderTest;
  let dns: DnsmasqFixture;
  let refusingPort: number;
  let answeringPort: number;
  const sipps: RunningSipp[] = [];

  const gateway = async (scenario: string, port: number) => {
    const sipp = await startSipp({
      scenario: join(SCENARIOS, scenario),
      port,
      args: ['-key', 'rtp_port', '9'],
    });
    sipps.push(sipp);
    return sipp;
  };

  beforeAll(async () => {
    // The gateways' ports go into the SRV records before the engine (which is told the DNS server) starts.
    refusingPort = await freePort();
    answeringPort = await freePort();
    dns = await startDnsmasq({
      naptr: [
        {
          name: 'example-carrier.test',
          order: 10,
          preference: 10,
          service: 'SIP+D2U',
          replacement: '_sip._udp.example-carrier.test',
        },
      ],
      srv: [
        {
          name: '_sip._udp.example-carrier.test',
          target: 'gw1.example-carrier.test',
          port: refusingPort,
          priority: 10,
          weight: 100,
        },
        {
          name: '_sip._udp.example-carrier.test',
          target: 'gw2.example-carrier.test',
          port: answeringPort,
          priority: 20,
          weight: 100,
        },
      ],
      hosts: [
        { name: 'gw1.example-carrier.test', address: '127.0.0.1' },
        { name: 'gw2.example-carrier.test', address: '127.0.0.1' },
      ],
    });
    p = await startPlatform({}, { engineEnv: { SIP_DNS_SERVERS: dns.server, SIP_DNS_TIMEOUT_MS: '2000' } });
  });

  afterEach(async () => {
    await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
  });

  afterAll(async () => {
    await p?.close();
    await dns?.stop();
  });

  it('follows NAPTR → SRV → A to the carrier and fails over to the second SRV target when the first answers 503', async () => {
    const refusing = await gateway('gateway-uas-503.xml', refusingPort);
    const answering = await gateway('uas-answers-expect-bye.xml', answeringPort);
    const { callId, legId } = await p.rpc<callControl.CreateCallRequest, callControl.CreateCallResponse>(
      p.api.createCall,
      {
        toUri: 'sip:user@example-carrier.test',
        fromUri: 'sip:app@127.0.0.1',
        ringTimeoutMs: 0,
        maxDurationMs: 0,
        clientState: 'dns',
        idempotencyKey: 'dns-failover',
      },
    );
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    // The out-of-service gateway got the INVITE first, answered 503 and had it ACKed.
    p.edge.expectSippSucceeded(await refusing.result);
    await p.rpc(p.api.hangup, { callId, legId: '' });
    await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
    p.edge.expectSippSucceeded(await answering.result);
    // The platform saw one leg, answered: the 503 stayed inside the engine.
    expect(p.eventsOf(callId).filter((e) => e.event?.$case === 'legEnded')).toHaveLength(1);
    expect(dns.queries()).toEqual([
      'NAPTR example-carrier.test',
      'SRV _sip._udp.example-carrier.test',
      'A gw1.example-carrier.test',
      'A gw2.example-carrier.test',
    ]);
    // The engine's log is buffered (lines reach its stdout within a second): wait for the failover line.
    await waitFor('the engine to log the failover', () =>
      p.edge.engine.output().includes('rfc 3263: target failed, trying the next one'),
    ).catch(() => undefined);
    const engineLog = p.edge.engine.output();
    expect(engineLog).toMatch(/"target":"udp\/127\.0\.0\.1:\d+".*rfc 3263: sending to target/);
    expect(engineLog).toContain('rfc 3263: target failed, trying the next one');
  });
});
