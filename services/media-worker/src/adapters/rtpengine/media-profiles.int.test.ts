import { createLogger } from '@callctl/logging';
import {
  loopbackAudioSdp,
  RtpEndpoint,
  startRtpengine,
  telephoneEventFormat,
  waitFor,
  type RtpengineFixture,
} from '@callctl/testing';
import { answerWithSink } from '../../app/local-answer.js';
import type { MediaRelay } from '../../app/ports.js';
import { NgClient } from './ng-client.js';
import { rtpengineRelay } from './session-commands.js';

jest.setTimeout(30_000);

const log = createLogger({ service: 'test', level: 'silent' });

/** A phone's plain offer: PCMU and telephone-event. */
const phone = (port: number) =>
  loopbackAudioSdp(1, port, [{ payloadType: 0, rtpmap: 'PCMU/8000' }, telephoneEventFormat(101, 8000)]);

/** A browser's offer as Chromium makes it: SAVPF, ICE, a DTLS fingerprint, rtcp-mux, opus first. */
const browser = (port: number) =>
  [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=msid-semantic: WMS',
    `m=audio ${port} UDP/TLS/RTP/SAVPF 111 0 126`,
    'c=IN IP4 127.0.0.1',
    `a=rtcp:${port} IN IP4 127.0.0.1`,
    `a=candidate:1 1 udp 2122260223 127.0.0.1 ${port} typ host generation 0`,
    'a=ice-ufrag:Gd2w',
    'a=ice-pwd:bsQ1dWk1Z1vNHDgSTtzeGBcT',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 49:66:12:17:0D:1C:91:AE:57:4C:C6:36:DD:D5:97:D2:7D:62:C9:9A:7F:B9:A3:F4:70:03:E7:43:91:73:23:5E',
    'a=setup:actpass',
    'a=mid:0',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:126 telephone-event/8000',
    '',
  ].join('\r\n');

/** A phone's SDES-SRTP offer (RTP/SAVP with one AES_CM_128_HMAC_SHA1_80 key). */
const sdesPhone = (port: number) =>
  phone(port)
    .replace('RTP/AVP', 'RTP/SAVP')
    .replace(
      'a=sendrecv',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\na=sendrecv',
    );

const audioLine = (sdp: string) => /^m=audio .*$/m.exec(sdp)?.[0] ?? '';

function expectWebrtc(sdp: string): void {
  expect(audioLine(sdp)).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /);
  expect(sdp).toMatch(/^a=fingerprint:sha-256 [0-9A-F:]+$/m);
  expect(sdp).toMatch(/^a=setup:(actpass|active|passive)$/m);
  expect(sdp).toMatch(/^a=ice-ufrag:\S+$/m);
  expect(sdp).toMatch(/^a=candidate:\S+ 1 UDP \d+ 127\.0\.0\.1 \d+ typ host$/m);
  expect(sdp).toMatch(/^a=rtcp-mux$/m);
  expect(sdp).not.toMatch(/^a=crypto:/m);
}

function expectPlain(sdp: string): void {
  expect(audioLine(sdp)).toMatch(/^m=audio \d+ RTP\/AVP /);
  expect(sdp).not.toMatch(/^a=(fingerprint|ice-ufrag|candidate|crypto|rtcp-mux)/m);
}

describe('media profiles through a real rtpengine', () => {
  let engine: RtpengineFixture;
  let ng: NgClient;
  let relay: MediaRelay;
  let session = 0;
  const nextSession = () => `profile-${++session}`;

  beforeAll(async () => {
    engine = await startRtpengine();
    ng = new NgClient({ host: engine.host, port: engine.ngPort, timeoutMs: 3000, log });
    relay = rtpengineRelay(ng);
  });
  afterAll(async () => {
    ng?.close();
    await engine?.stop();
  });

  it('offers a plain phone to a browser with ICE, DTLS, rtcp-mux and opus first, transcoded from PCMU', async () => {
    const sdp = await relay.offer({
      sessionId: nextSession(),
      fromTag: 'phone',
      sdp: phone(40_000),
      profile: 'webrtc',
    });
    expectWebrtc(sdp);
    expect(sdp).toMatch(/^a=setup:actpass$/m);
    const formats = audioLine(sdp).split(' ').slice(3);
    const opus = /^a=rtpmap:(\d+) opus\/48000\/2$/m.exec(sdp)?.[1];
    expect(formats[0]).toBe(opus);
    expect(formats).toContain('0');
  });

  it('takes a browser offer (SAVPF, ICE, DTLS) to a plain phone and answers the browser with a fingerprint, candidates and rtcp-mux', async () => {
    const sessionId = nextSession();
    const towardsPhone = await relay.offer({
      sessionId,
      fromTag: 'browser',
      sdp: browser(41_000),
      profile: 'plain',
    });
    expectPlain(towardsPhone);
    const answer = await relay.answer({
      sessionId,
      fromTag: 'browser',
      toTag: 'phone',
      sdp: phone(41_010),
      profile: 'webrtc',
    });
    expectWebrtc(answer);
    // The browser offered actpass: rtpengine takes a DTLS role, never actpass in an answer.
    expect(answer).toMatch(/^a=setup:(active|passive)$/m);
  });

  it('offers a plain phone to an SDES side with a=crypto keys and no ICE or fingerprint', async () => {
    const sdp = await relay.offer({
      sessionId: nextSession(),
      fromTag: 'phone',
      sdp: phone(42_000),
      profile: 'sdes',
    });
    expect(audioLine(sdp)).toMatch(/^m=audio \d+ RTP\/SAVP /);
    // Only the suites every SDES phone has (RFC 4568), never the NULL (unencrypted) ones.
    expect(sdp.match(/^a=crypto:\d+ \S+/gm)).toEqual([
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80',
      'a=crypto:2 AES_CM_128_HMAC_SHA1_32',
    ]);
    expect(sdp).not.toMatch(/^a=(fingerprint|ice-ufrag|candidate)/m);
  });

  it('answers an SDES phone locally with its own key while the worker sink gets plain RTP', async () => {
    const sessionId = nextSession();
    const offer = {
      sessionId,
      fromTag: 'tls-phone',
      sdp: sdesPhone(43_000),
      profile: 'plain' as const,
      offererProfile: 'sdes' as const,
    };
    const towardsSink = await relay.offer(offer);
    expectPlain(towardsSink);
    const answer = await answerWithSink(
      relay,
      { address: '127.0.0.1', port: 43_100 },
      offer,
      'local-tls-phone',
      towardsSink,
    );
    expect(audioLine(answer)).toMatch(/^m=audio \d+ RTP\/SAVP 0/);
    const key = /^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:(\S+)$/m.exec(answer)?.[1];
    expect(key).toBeDefined();
    // rtpengine's own key for what it sends, not the phone's echoed back.
    expect(key).not.toContain('WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz');
  });

  it('answers a browser locally in the WebRTC profile while the worker sink gets plain RTP', async () => {
    const offer = {
      sessionId: nextSession(),
      fromTag: 'browser',
      sdp: browser(45_000),
      profile: 'plain' as const,
      offererProfile: 'webrtc' as const,
    };
    const towardsSink = await relay.offer(offer);
    expectPlain(towardsSink);
    const answer = await answerWithSink(
      relay,
      { address: '127.0.0.1', port: 45_100 },
      offer,
      'local-browser',
      towardsSink,
    );
    expectWebrtc(answer);
  });

  it('carries audio both ways over a WebRTC path: ICE checks, a DTLS handshake and SRTP between two of its own sessions', async () => {
    // rtpengine on the WebRTC side of one session is the "browser" of another: session A offers phone1 to
    // WebRTC, session B takes that offer as a browser's and relays it to phone2 plain. Between them runs
    // a real WebRTC media path (ICE, DTLS-SRTP, rtcp-mux); phone1 and phone2 are plain PCMU ends.
    const phone1 = await RtpEndpoint.open();
    const phone2 = await RtpEndpoint.open();
    try {
      const [a, b] = [nextSession(), nextSession()];
      const webrtcOffer = await relay.offer({
        sessionId: a,
        fromTag: 'phone1',
        sdp: phone1.sdp(),
        profile: 'webrtc',
      });
      phone2.useRemote(
        await relay.offer({ sessionId: b, fromTag: 'browser', sdp: webrtcOffer, profile: 'plain' }),
      );
      const webrtcAnswer = await relay.answer({
        sessionId: b,
        fromTag: 'browser',
        toTag: 'phone2',
        sdp: phone2.sdp(),
        profile: 'webrtc',
      });
      expectWebrtc(webrtcAnswer);
      phone1.useRemote(
        await relay.answer({
          sessionId: a,
          fromTag: 'phone1',
          toTag: 'browser',
          sdp: webrtcAnswer,
          profile: 'plain',
        }),
      );
      phone1.startTone(600);
      phone2.startTone(1400);
      // A full 400 ms window each way (20 packets), not the first packet alone.
      const hears = (phone: RtpEndpoint, hz: number) =>
        phone.packetsReceived >= 20 && phone.recentToneRatio(hz) > 0.5;
      await waitFor('phone2 hears phone1 across DTLS-SRTP', () => hears(phone2, 600), 15_000);
      await waitFor('phone1 hears phone2 across DTLS-SRTP', () => hears(phone1, 1400), 15_000);
      // rtpengine's own view of the WebRTC side: ICE done, the peer's fingerprint verified, SRTP keyed by DTLS.
      const query = (await relay.querySession(a)) as {
        tags: Record<string, { medias: Array<{ flags: string[]; streams: Array<{ flags: string[] }> }> }>;
      };
      const webrtcSide = query.tags['browser']!.medias[0]!;
      expect(webrtcSide.flags).toEqual(expect.arrayContaining(['ICE', 'rtcp-mux', 'DTLS-SRTP']));
      expect(webrtcSide.streams[0]!.flags).toContain('DTLS fingerprint verified');
    } finally {
      await Promise.all([phone1.close(), phone2.close()]);
    }
  });

  it('leaves the transport alone without a profile (callers that predate profiles)', async () => {
    const sdp = await relay.offer({ sessionId: nextSession(), fromTag: 'browser', sdp: browser(44_000) });
    expect(audioLine(sdp)).toMatch(/UDP\/TLS\/RTP\/SAVPF/);
  });
});
