// SIP over TLS into the platform: sipsak (GnuTLS) OPTIONS and INVITE to the engine's TLS listener, and a
// call from a Node TLS client through sip-edge answered by the platform, audio proven by a tone heard at
// the caller's RTP endpoint. Media is plain RTP here: SDES/DTLS over TLS legs are the media work's.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { credentials } from '@grpc/grpc-js';
import { media } from '@callctl/proto';
import { parseMessage, StreamFramer, type SipRequest, SipResponse } from '@callctl/sip';
import {
  loopbackAudioSdp,
  makeCertificateAuthority,
  makeToneFile,
  RtpEndpoint,
  runSipsak,
  telephoneEventFormat,
  waitFor,
  type TestCertificateAuthority,
} from '@callctl/testing';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';

jest.setTimeout(60_000);

const TONE_HZ = 1000;
const TONE_DETECTED = 0.5;

describe('SIP over TLS into the platform', () => {
  let ca: TestCertificateAuthority;
  let t: EdgeUnderTest;
  let mediaClient: media.MediaWorkerClient;
  let tone: string;
  let dir: string;

  beforeAll(async () => {
    ca = makeCertificateAuthority();
    dir = mkdtempSync(join(tmpdir(), 'sip-tls-e2e-'));
    const leaf = ca.issue('engine.test');
    t = await startEdgeUnderTest(
      { answerTimeoutMs: 8000 },
      {
        engineTransports: { tls: true, certificate: { ...leaf, caFile: ca.caFile } },
        // sipsak 0.9.8 gives up on a reply that follows TLS 1.3 session tickets (see SIP_TLS_MAX_VERSION).
        engineEnv: { SIP_TLS_MAX_VERSION: 'TLSv1.2' },
      },
    );
    mediaClient = new media.MediaWorkerClient(
      `127.0.0.1:${t.mediaWorker.grpcPort}`,
      credentials.createInsecure(),
    );
    tone = makeToneFile(t.dir, 'tone.wav', 3, TONE_HZ);
  });

  afterAll(async () => {
    mediaClient?.close();
    await t?.close();
    ca?.remove();
  });

  const tlsPort = () => {
    if (t.engine.tlsPort === undefined) throw new Error('the engine has no TLS listener');
    return t.engine.tlsPort;
  };
  const offered = (user: string) =>
    t.fact(
      'inboundCallOffered',
      (f) =>
        f.fact?.$case === 'inboundCallOffered' && f.fact.inboundCallOffered.toUri.includes(`sip:${user}@`),
    );
  const edge = <Req, Res>(method: (req: Req, cb: (e: Error | null, r: Res) => void) => unknown, req: Req) =>
    call(method.bind(t.client) as never, req) as Promise<Res>;

  it('answers sipsak (GnuTLS) OPTIONS over TLS', async () => {
    const result = await runSipsak({
      uri: 'sip:ping@127.0.0.1',
      port: tlsPort(),
      transport: 'tls',
      caFile: ca.caFile,
    });
    // No app takes OPTIONS outside a registration: the engine's own final answer, over the TLS connection.
    expect(result.output).toMatch(/SIP\/2\.0 503 No application available/);
  });

  it("takes sipsak's INVITE over TLS to sip-edge, which rejects it as the application says", async () => {
    const rtp = await RtpEndpoint.open();
    try {
      const file = join(dir, 'invite.sip');
      // sipsak fills in its own Via, and sends the rest as written.
      writeFileSync(
        file,
        request('INVITE', 'sipsak-invite', tlsPort(), {
          via: false,
          body: sdp(rtp.port),
        }),
      );
      const sipsak = runSipsak({
        uri: 'sip:sipsak-invite@127.0.0.1',
        port: tlsPort(),
        transport: 'tls',
        caFile: ca.caFile,
        extraArgs: ['-f', file],
      });
      const offer = await offered('sipsak-invite');
      const { callId, legId } = offer;
      await edge(t.client.rejectLeg, { callId, legId, sipStatus: 486, reason: 'Busy Here' });
      const result = await sipsak;
      expect(result.output).toMatch(/SIP\/2\.0 486/);
      await t.fact('legEnded', (f) => f.legId === legId);
    } finally {
      await rtp.close();
    }
  });

  it('carries a call from a Node TLS client: answered by the platform, a played tone heard by the caller', async () => {
    const rtp = await RtpEndpoint.open();
    const client = await TlsSipClient.connect(tlsPort(), readFileSync(ca.caFile));
    try {
      const invite = request('INVITE', 'tls-call', tlsPort(), { body: sdp(rtp.port), via: client.sentBy });
      client.send(invite);
      const offer = await offered('tls-call');
      const { callId, legId } = offer;
      await edge(t.client.answerLeg, { callId, legId, detectInbandDtmf: false });
      const ok = await client.response(200, 'INVITE');
      expect(ok.topVia.transport).toBe('TLS');
      // The engine's Contact names its TLS listener: in-dialog requests come back over TLS.
      expect(ok.contacts[0]!.uri).toMatch(new RegExp(`:${tlsPort()};transport=tls`));
      client.send(ack(invite, ok, client.sentBy));
      await t.fact('legAnswered', (f) => f.legId === legId);
      const party = offer.fact.inboundCallOffered.media!;
      await call<media.PlayRequest, media.PlayResponse>((r, cb) => mediaClient.play(r, cb), {
        sessionId: party.sessionId,
        tag: party.tag,
        source: tone,
        repeat: 0,
        playbackId: '',
        callId,
      });
      await waitFor(
        'the played tone at the TLS caller',
        () => rtp.recentToneRatio(TONE_HZ) > TONE_DETECTED,
        10_000,
      );

      client.send(bye(invite, ok, client.sentBy));
      await client.response(200, 'BYE');
      await t.fact('legEnded', (f) => f.legId === legId);
    } finally {
      client.close();
      await rtp.close();
    }
  });
});

let sequence = 0;
const CALL_TAG = 'tls-caller';

function sdp(port: number): string {
  return loopbackAudioSdp(port, port, [
    { payloadType: 0, rtpmap: 'PCMU/8000' },
    telephoneEventFormat(101, 8000),
  ]);
}

interface RequestOptions {
  body?: string;
  /** Our sent-by, or false to leave the Via to the sender (sipsak writes its own). */
  via: string | false;
}

function request(method: string, user: string, port: number, options: RequestOptions): string {
  sequence += 1;
  const body = options.body ?? '';
  return [
    `${method} sip:${user}@127.0.0.1:${port};transport=tls SIP/2.0`,
    ...(options.via === false
      ? []
      : [`Via: SIP/2.0/TLS ${options.via};branch=z9hG4bK-${user}-${sequence};rport;alias`]),
    'Max-Forwards: 70',
    `From: <sip:caller@127.0.0.1>;tag=${CALL_TAG}`,
    `To: <sip:${user}@127.0.0.1>`,
    `Call-ID: ${user}-${sequence}@tls.test`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:caller@${options.via === false ? '127.0.0.1' : options.via};transport=tls>`,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** A request in the dialog the 200 made: the To tag it gave, the Call-ID and From of the INVITE. */
function inDialog(
  method: 'ACK' | 'BYE',
  invite: string,
  ok: SipResponse,
  sentBy: string,
  cseq: number,
): string {
  const headerOf = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(invite)![1]!;
  sequence += 1;
  return [
    `${method} ${ok.contacts[0]!.uri} SIP/2.0`,
    `Via: SIP/2.0/TLS ${sentBy};branch=z9hG4bK-${method.toLowerCase()}-${sequence};rport;alias`,
    'Max-Forwards: 70',
    `From: ${headerOf('From')}`,
    `To: ${ok.get('To')}`,
    `Call-ID: ${headerOf('Call-ID')}`,
    `CSeq: ${cseq} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const ack = (invite: string, ok: SipResponse, sentBy: string) => inDialog('ACK', invite, ok, sentBy, 1);
const bye = (invite: string, ok: SipResponse, sentBy: string) => inDialog('BYE', invite, ok, sentBy, 2);

/** One TLS connection to the engine that sends SIP text and keeps what comes back, parsed. */
class TlsSipClient {
  private readonly received: Array<SipRequest | SipResponse> = [];

  private constructor(private readonly socket: TLSSocket) {
    const framer = new StreamFramer({ onPing: () => undefined });
    socket.on('data', (chunk: Buffer) => {
      for (const data of framer.push(chunk)) this.received.push(parseMessage(data));
    });
  }

  static async connect(port: number, ca: Buffer): Promise<TlsSipClient> {
    const socket = connect({ host: '127.0.0.1', port, ca });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    return new TlsSipClient(socket);
  }

  get sentBy(): string {
    return `127.0.0.1:${this.socket.localPort}`;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  response(status: number, method: string): Promise<SipResponse> {
    return waitFor(
      `${status} to ${method}`,
      () =>
        this.received.find(
          (m): m is SipResponse =>
            m instanceof SipResponse && m.status === status && m.cseq.method === method,
        ),
      10_000,
    );
  }

  close(): void {
    this.socket.destroy();
  }
}
