// A SIP caller over UDP (libs/sip) whose SDP is given: it carries a real browser's WebRTC offer to the SIP
// engine and brings back the answer, for tests of the browser's media through the platform with the
// signalling kept in the test. It sends INVITE, ACKs the 2xx, answers the platform's BYE, or sends its own.
import { createSocket, type Socket } from 'node:dgram';
import { newBranch, newCallId, newTag, parseMessage, SipRequest, SipResponse } from '@callctl/sip';

const FINAL_RESPONSE_TIMEOUT_MS = 30_000;

export interface SdpCall {
  /** The 2xx's SDP: rtpengine's side, for the browser to accept. */
  answer: string;
  /** Resolves when the platform sends BYE (answered 200). */
  ended: Promise<void>;
  bye(): Promise<void>;
  close(): void;
}

/** Calls `sip:<user>@127.0.0.1:<engine port>` with `sdp`; resolves once the call is answered and ACKed. */
export async function callWithSdp(enginePort: number, user: string, sdp: string): Promise<SdpCall> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const callId = newCallId('127.0.0.1');
  const fromTag = newTag();
  const target = `sip:${user}@127.0.0.1:${enginePort}`;
  let toHeader = `<${target}>`;
  let remoteTarget = target;
  const send = (lines: string[], body = '') => {
    const text = [...lines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
    socket.send(Buffer.from(text), enginePort, '127.0.0.1');
  };
  const request = (method: string, cseq: number, extra: string[] = [], body = '') =>
    send(
      [
        `${method} ${method === 'INVITE' ? target : remoteTarget} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${newBranch()};rport`,
        `From: <sip:browser@127.0.0.1:${port}>;tag=${fromTag}`,
        `To: ${toHeader}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ${method}`,
        'Max-Forwards: 70',
        `Contact: <sip:browser@127.0.0.1:${port}>`,
        ...extra,
      ],
      body,
    );
  const finalResponse = (cseq: number, method: string) =>
    new Promise<SipResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.off('message', onMessage);
        reject(new Error(`no final response to ${method} within ${FINAL_RESPONSE_TIMEOUT_MS} ms`));
      }, FINAL_RESPONSE_TIMEOUT_MS);
      const onMessage = (data: Buffer) => {
        const message = parseMessage(data);
        if (!(message instanceof SipResponse) || message.status < 200) return;
        if (message.get('CSeq') !== `${cseq} ${method}`) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(message);
      };
      socket.on('message', onMessage);
    });

  let onBye: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (onBye = resolve));
  // Requests from the platform: its BYE ends the call; anything else in the dialog is accepted.
  socket.on('message', (data) => {
    const message = parseMessage(data);
    if (!(message instanceof SipRequest) || message.method === 'ACK') return;
    const echoed = ['Via', 'From', 'To', 'Call-ID', 'CSeq'].flatMap((name) =>
      message.getAll(name).map((value) => `${name}: ${value}`),
    );
    const answerSdp = message.method === 'INVITE' ? latestOffer : '';
    send(
      [
        'SIP/2.0 200 OK',
        ...echoed,
        `Contact: <sip:browser@127.0.0.1:${port}>`,
        ...(answerSdp ? ['Content-Type: application/sdp'] : []),
      ],
      answerSdp,
    );
    if (message.method === 'BYE') onBye();
  });
  // A re-INVITE is answered with the offer the browser made (its session does not change).
  const latestOffer = sdp;

  const invited = finalResponse(1, 'INVITE');
  request('INVITE', 1, ['Content-Type: application/sdp'], sdp);
  const response = await invited;
  if (response.status >= 300) {
    socket.close();
    throw new Error(`INVITE answered ${response.status} ${response.reason}`);
  }
  toHeader = response.get('To') ?? toHeader;
  remoteTarget = /<([^>]+)>/.exec(response.get('Contact') ?? '')?.[1] ?? target;
  request('ACK', 1);
  return {
    answer: response.body.toString(),
    ended,
    async bye() {
      const done = finalResponse(2, 'BYE');
      request('BYE', 2);
      await done;
    },
    close: () => socket.close(),
  };
}
