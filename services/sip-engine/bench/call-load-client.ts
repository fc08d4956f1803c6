// A SIP call load client in Node for the transports sipp (Debian's build) cannot speak: TLS. It runs the
// same zero-length call as sipp's built-in uac (INVITE / 100 / 180 / 200 / ACK, then BYE / 200) at a fixed
// rate over one UDP socket, TCP or TLS connection, so UDP and TLS are measured by the same client.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { parseMessage, SipResponse, StreamFramer } from '@callctl/sip';

export type LoadTransport = 'udp' | 'tcp' | 'tls';

export interface CallLoadOptions {
  transport: LoadTransport;
  port: number;
  /** Calls started per second. */
  rate: number;
  calls: number;
  /** TLS: the CA that signed the engine's certificate. */
  ca?: Buffer;
  /** A call not finished (BYE answered) within this counts as failed. @default 10_000 */
  callTimeoutMs?: number;
}

export interface CallLoadResult {
  completed: number;
  failed: number;
  /** UDP: requests sent again because no response came within T1 (doubling), as sipp's uac does. */
  retransmissions: number;
  /** From the first INVITE sent to the last call finished. */
  wallMs: number;
  /** Calls finished per second over wallMs. */
  sustained: number;
}

interface Wire {
  send(text: string): void;
  localPort: number;
  close(): void;
}

const SDP = [
  'v=0',
  'o=load 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 9 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

const RETRANSMIT_T1_MS = 500;

export async function runCallLoad(options: CallLoadOptions): Promise<CallLoadResult> {
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  const pending = new Map<
    string,
    { timer: NodeJS.Timeout; invite: string; resend?: NodeJS.Timeout; byeSent?: boolean }
  >();
  let retransmissions = 0;
  // UDP only: a request is sent again after 500 ms, 1 s, 2 s... until a response to it arrives.
  const retransmit = (callId: string, text: string, afterMs = RETRANSMIT_T1_MS) => {
    const call = pending.get(callId);
    if (options.transport !== 'udp' || !call) return;
    clearTimeout(call.resend);
    call.resend = setTimeout(() => {
      if (!pending.has(callId) || !opened.wire) return;
      retransmissions++;
      opened.wire.send(text);
      retransmit(callId, text, afterMs * 2);
    }, afterMs);
  };
  const stopRetransmitting = (callId: string) => clearTimeout(pending.get(callId)?.resend);
  let completed = 0;
  let failed = 0;
  let lastDoneAt = 0;
  let resolveAll: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (resolveAll = resolve));
  const finish = (callId: string, ok: boolean) => {
    const call = pending.get(callId);
    if (!call) return;
    clearTimeout(call.timer);
    clearTimeout(call.resend);
    pending.delete(callId);
    if (ok) completed++;
    else failed++;
    lastDoneAt = Date.now();
    if (completed + failed === options.calls) resolveAll();
  };
  const proto = options.transport.toUpperCase();
  // The wire is opened after the handler that answers over it exists.
  const opened: { wire?: Wire } = {};
  const onMessage = (data: Buffer) => {
    let message;
    try {
      message = parseMessage(data);
    } catch {
      return;
    }
    const wire = opened.wire;
    if (!(message instanceof SipResponse) || !wire) return;
    const callId = message.get('Call-ID') ?? '';
    const call = pending.get(callId);
    if (!call) return;
    const method = message.cseq.method;
    if (method === 'INVITE') stopRetransmitting(callId);
    if (method === 'INVITE' && message.status >= 200) {
      if (message.status >= 300) return finish(callId, false);
      // A retransmitted 200 (our ACK lost) is ACKed again; the BYE goes once, then on its own timer.
      const to = message.get('To') ?? '';
      wire.send(inDialog('ACK', 1, call.invite, to, wire.localPort, proto));
      if (call.byeSent) return;
      call.byeSent = true;
      const bye = inDialog('BYE', 2, call.invite, to, wire.localPort, proto);
      wire.send(bye);
      retransmit(callId, bye);
    } else if (method === 'BYE' && message.status >= 200) finish(callId, message.status < 300);
  };
  const wire = await openWire(options, onMessage);
  opened.wire = wire;
  const run = `${process.pid}-${Date.now()}`;
  const startedAt = Date.now();
  const intervalMs = 1000 / options.rate;
  try {
    for (let i = 0; i < options.calls; i++) {
      // Paced against the clock, not per timer: a late timer sends the calls it owes at once.
      const due = startedAt + i * intervalMs;
      const wait = due - Date.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const callId = `load-${run}-${i}`;
      const invite = inviteText(callId, options.port, wire.localPort, proto);
      pending.set(callId, {
        invite,
        timer: setTimeout(() => finish(callId, false), callTimeoutMs),
      });
      wire.send(invite);
      retransmit(callId, invite);
    }
    await allDone;
  } finally {
    for (const call of pending.values()) {
      clearTimeout(call.timer);
      clearTimeout(call.resend);
    }
    wire.close();
  }
  const wallMs = Math.max(1, lastDoneAt - startedAt);
  return { completed, failed, retransmissions, wallMs, sustained: (completed * 1000) / wallMs };
}

function inviteText(callId: string, port: number, localPort: number, proto: string): string {
  const transport = proto === 'UDP' ? '' : `;transport=${proto.toLowerCase()}`;
  return [
    `INVITE sip:load@127.0.0.1:${port}${transport} SIP/2.0`,
    `Via: SIP/2.0/${proto} 127.0.0.1:${localPort};branch=z9hG4bK-${callId};rport`,
    'Max-Forwards: 70',
    `From: <sip:loader@127.0.0.1>;tag=${callId}`,
    `To: <sip:load@127.0.0.1:${port}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:loader@127.0.0.1:${localPort}${transport}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${SDP.length}`,
    '',
    SDP,
  ].join('\r\n');
}

function inDialog(
  method: 'ACK' | 'BYE',
  cseq: number,
  invite: string,
  to: string,
  localPort: number,
  proto: string,
): string {
  const requestUri = invite.slice('INVITE '.length, invite.indexOf(' SIP/2.0'));
  const callId = /^Call-ID: (.*)$/m.exec(invite)![1]!.trim();
  return [
    `${method} ${requestUri} SIP/2.0`,
    `Via: SIP/2.0/${proto} 127.0.0.1:${localPort};branch=z9hG4bK-${method}-${callId};rport`,
    'Max-Forwards: 70',
    `From: <sip:loader@127.0.0.1>;tag=${callId}`,
    `To: ${to}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function openWire(options: CallLoadOptions, onMessage: (data: Buffer) => void): Promise<Wire> {
  if (options.transport === 'udp') {
    const socket: UdpSocket = createSocket('udp4');
    socket.on('message', onMessage);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return {
      send: (text) => socket.send(text, options.port, '127.0.0.1'),
      localPort: socket.address().port,
      close: () => socket.close(),
    };
  }
  const socket: Socket =
    options.transport === 'tls'
      ? tlsConnect({ host: '127.0.0.1', port: options.port, ca: options.ca })
      : tcpConnect({ host: '127.0.0.1', port: options.port });
  await new Promise<void>((resolve, reject) => {
    socket.once(options.transport === 'tls' ? 'secureConnect' : 'connect', () => resolve());
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  const framer = new StreamFramer({ onPing: () => undefined });
  socket.on('data', (chunk: Buffer) => {
    for (const data of framer.push(chunk)) onMessage(data);
  });
  return {
    send: (text) => socket.write(text),
    localPort: socket.localPort ?? 0,
    close: () => socket.destroy(),
  };
}
