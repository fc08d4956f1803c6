// SIP phones over TLS with SDES-SRTP (RFC 4568): baresip registers over TLS to the engine, its media
// mandatory SRTP (RTP/SAVP with a=crypto, `mediaenc=srtp-mand`). Calls between it and plain PCMU parties
// (a carrier's gateway, a sipp UAS whose RTP socket the test owns; a plain baresip) go through rtpengine,
// which keys the phone's side and relays plain RTP on the other: each side hears the other's tone.
// A phone keying like a browser (DTLS-SRTP, rtcp-mux, opus only; baresip's ICE gathers only the host's
// non-loopback address, so it runs without ICE here: the media-worker tests check ICE) gets the WebRTC
// profile, transcoded to the PCMU carrier.
// Not covered: a keyed leg re-INVITEd into another rtpengine session (BridgeLegs after the platform answered
// it) gets new keys from rtpengine, and baresip 1.0 keeps decrypting with its first receive key for the
// whole call (it starts SRTP once), so it hears nothing after such a bridge.
import { makeCertificateAuthority } from '@callctl/testing';
import { DOMAIN, devicesUnderTest } from '../support/devices-under-test.js';

jest.setTimeout(120_000);

const ALICE_HZ = 500;
const CARRIER_HZ = 1700;
const DAVE_HZ = 700;
const BOB_HZ = 900;
const ERIN_HZ = 1100;

/** The m=audio lines of the SDPs in a phone's SIP trace, in order. */
const audioLines = (trace: string) => trace.match(/^m=audio \d+ \S+/gm) ?? [];

const authority = makeCertificateAuthority('secure-media-e2e-ca');
const server = authority.issue('localhost');

describe('SIP phones over TLS with SRTP (SDES and DTLS)', () => {
  afterAll(() => authority.remove());
  const { p, prov, calls, device, bindings, carrier } = devicesUnderTest(
    'srtp-phones-e2e',
    ['alice', 'bob', 'dave', 'erin'],
    {
      transports: { tls: true, certificate: { ...server, caFile: authority.caFile } },
      caFile: authority.caFile,
      edgeEnv: { SIP_TLS_OUTBOUND_SRTP: 'true' },
    },
  );

  it('a TLS phone offering SRTP calls a number: answered with SDES keys, the carrier gets plain PCMU; audio both ways', async () => {
    const alice = await device('alice-out', 'alice', ALICE_HZ, { transport: 'tls', mediaenc: 'srtp-mand' });
    const [binding] = await bindings('alice', 1);
    expect(binding).toMatchObject({ transport: 'tls', sourceAddress: '127.0.0.1' });
    const gateway = await carrier('carrier', CARRIER_HZ);
    await prov().putRoute({ name: 'us-555', pattern: '+1555*', trunk: 'carrier', priority: 0 });

    await alice.dial(`sip:+15550100@${DOMAIN}`);
    const inbound = await p().event(
      'legInitiated',
      (e) =>
        e.event.legInitiated.user === `alice@${DOMAIN}` &&
        e.event.legInitiated.routedTo?.includes('+15550100') === true,
    );
    await alice.event('CALL_ESTABLISHED');
    await p().event('legsBridged', (e) => e.event.legsBridged.callId === inbound.event.legInitiated.callId);
    await calls.hears('the carrier hearing alice', () => gateway.recentToneRatio(ALICE_HZ));
    await calls.hears('alice hearing the carrier', () => alice.recentToneRatio(CARRIER_HZ));

    // The phone's side is keyed (its offer and the platform's answer), the carrier's plain.
    const phoneTrace = alice.output();
    expect(audioLines(phoneTrace).every((line) => line.endsWith('RTP/SAVP'))).toBe(true);
    expect(phoneTrace).toMatch(/^SIP\/2\.0 200 OK[\s\S]*^a=crypto:\d+ AES_CM_128_HMAC_SHA1_(80|32) inline:/m);
    await alice.hangup();
    const result = await gateway.sipp.result;
    p().edge.expectSippSucceeded(result);
    expect(result.messages).toMatch(/^m=audio \d+ RTP\/AVP /m);
    expect(result.messages).not.toMatch(/a=crypto|RTP\/SAVP/);
  });

  it('a plain phone calls a TLS phone: the platform offers it SDES-SRTP over TLS (SIP_TLS_OUTBOUND_SRTP); audio both ways', async () => {
    const dave = await device('dave', 'dave', DAVE_HZ, { transport: 'tls', mediaenc: 'srtp-mand' });
    const bob = await device('bob', 'bob', BOB_HZ);
    await bindings('dave', 1);

    await bob.dial(`sip:dave@${DOMAIN}`);
    await dave.event('CALL_ESTABLISHED');
    await bob.event('CALL_ESTABLISHED');
    await calls.hears('bob hearing dave', () => bob.recentToneRatio(DAVE_HZ));
    await calls.hears('dave hearing bob', () => dave.recentToneRatio(BOB_HZ));

    // dave was offered keys over TLS, bob's phone saw plain RTP only.
    expect(dave.output()).toMatch(
      /^INVITE sip:dave-\S+;transport=tls [\s\S]*^m=audio \d+ RTP\/SAVP [\s\S]*^a=crypto:/m,
    );
    expect(audioLines(bob.output()).every((line) => line.endsWith('RTP/AVP'))).toBe(true);
    expect(bob.output()).not.toMatch(/^a=crypto:/m);
    await bob.hangup();
    await dave.event('CALL_CLOSED');
  });

  it('a phone keying by DTLS-SRTP with opus only gets the WebRTC profile; the carrier gets PCMU, transcoded; audio both ways', async () => {
    const erin = await device('erin', 'erin', ERIN_HZ, {
      transport: 'tls',
      mediaenc: 'dtls_srtp',
      audioCodecs: 'opus/48000/2',
    });
    const gateway = await carrier('carrier-pcmu', CARRIER_HZ);
    await prov().putRoute({ name: 'us-556', pattern: '+1556*', trunk: 'carrier-pcmu', priority: 0 });
    await erin.dial(`sip:+15560100@${DOMAIN}`);
    const inbound = await p().event(
      'legInitiated',
      (e) =>
        e.event.legInitiated.user === `erin@${DOMAIN}` &&
        e.event.legInitiated.routedTo?.includes('+15560100') === true,
    );
    await erin.event('CALL_ESTABLISHED');
    await p().event('legsBridged', (e) => e.event.legsBridged.callId === inbound.event.legInitiated.callId);
    await calls.hears('the carrier hearing erin', () => gateway.recentToneRatio(ERIN_HZ));
    await calls.hears('erin hearing the carrier', () => erin.recentToneRatio(CARRIER_HZ));

    // The platform answered in the WebRTC profile: DTLS-SRTP (rtpengine's fingerprint, the handshake done),
    // RTCP muxed, opus; the carrier was offered plain RTP and took PCMU, so rtpengine transcodes.
    const phoneTrace = erin.output();
    const answer = phoneTrace.slice(phoneTrace.search(/^SIP\/2\.0 200 OK\r?\n(?:.+\r?\n)*CSeq: \d+ INVITE/m));
    expect(answer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 96\r?$/m);
    expect(answer).toMatch(/^a=rtpmap:96 opus\/48000\/2\r?$/m);
    expect(answer).toMatch(/^a=fingerprint:sha-256 [0-9A-F:]+\r?$/m);
    expect(answer).toMatch(/^a=rtcp-mux\r?$/m);
    expect(phoneTrace).toMatch(/DTLS-SRTP complete/);
    await erin.hangup();
    const result = await gateway.sipp.result;
    p().edge.expectSippSucceeded(result);
    expect(result.messages).toMatch(/^m=audio \d+ RTP\/AVP /m);
    expect(result.messages).not.toMatch(/a=fingerprint|a=ice-ufrag|SAVP/);
  });
});
