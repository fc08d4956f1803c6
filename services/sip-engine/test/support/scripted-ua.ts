// A scripted SIP peer for tests: libs/sip for messages, the engine's own transports for the wire. It does
// nothing by itself (no automatic answers, no retransmissions), so tests can assert exact wire behaviour:
// what the engine sends, how often, and what it does when the peer stays silent.
import { createLogger } from '@callctl/logging';
import {
  buildResponse,
  newBranch,
  newTag,
  parseMessage,
  serializeMessage,
  SipRequest,
  SipResponse,
} from '@callctl/sip';
import { randomUUID } from 'node:crypto';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import type { Inbound, Peer, SipTransport } from '../../src/transport/transport.js';
import { UdpTransport } from '../../src/transport/udp-transport.js';
import { WsClientTransport, type WsClientOptions } from './ws-client-transport.js';

export type Message = SipRequest | SipResponse;

export const SDP_A = [
  'v=0',
  'o=alice 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=sendrecv',
  '',
].join('\r\n');

export const SDP_B = SDP_A.replace('alice', 'bob').replace('40000', '40002');

const log = createLogger({ service: 'scripted-ua', level: 'silent' });

export class ScriptedUa implements AsyncDisposable {
  private readonly queue: Array<{ message: Message; remote: Peer }> = [];
  private waiters: Array<() => void> = [];
  /** Everything received, in order (never consumed): for counting retransmissions. */
  readonly log: Message[] = [];
  private cseq = 1;
  private readonly sources = new WeakMap<Message, Peer>();

  private constructor(readonly transport: SipTransport) {}

  static async start(protocol: 'udp' | 'tcp' = 'udp', port = 0): Promise<ScriptedUa> {
    const ref: { ua?: ScriptedUa } = {};
    const onMessage = (inbound: Inbound) => ref.ua?.receive(inbound);
    const transport =
      protocol === 'udp'
        ? await UdpTransport.listen({ host: '127.0.0.1', port, log, onMessage })
        : await TcpTransport.listen({ host: '127.0.0.1', port, log, onMessage });
    ref.ua = new ScriptedUa(transport);
    return ref.ua;
  }

  /** A phone over SIP over WebSocket: one connection it opens to the engine, as a browser does. */
  static async connectWs(
    protocol: 'ws' | 'wss',
    engine: Peer,
    options?: WsClientOptions,
  ): Promise<ScriptedUa & { transport: WsClientTransport }> {
    const ref: { ua?: ScriptedUa } = {};
    const transport = await WsClientTransport.connect(
      protocol,
      engine,
      (inbound) => ref.ua?.receive(inbound),
      options,
    );
    ref.ua = new ScriptedUa(transport);
    return ref.ua as ScriptedUa & { transport: WsClientTransport };
  }

  get protocol(): string {
    return this.transport.protocol;
  }

  get uri(): string {
    const { protocol } = this.transport;
    const suffix = protocol === 'udp' ? '' : `;transport=${protocol}`;
    return `sip:ua@127.0.0.1:${this.transport.local.port}${suffix}`;
  }

  get hostport(): string {
    return `127.0.0.1:${this.transport.local.port}`;
  }

  private receive(inbound: Inbound): void {
    const message = parseMessage(inbound.data);
    this.log.push(message);
    this.sources.set(message, inbound.remote);
    this.queue.push({ message, remote: inbound.remote });
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** The first queued (or next arriving) message matching `match`; it is removed from the queue. */
  async expect(what: string, match: (m: Message) => boolean, timeoutMs = 5000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.queue.findIndex((q) => match(q.message));
      if (at >= 0) return this.queue.splice(at, 1)[0]!.message;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.log.map(describe).join(', ');
        throw new Error(`${what}: not received within ${timeoutMs} ms (received so far: ${seen})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  expectResponse(status: number, method?: string, timeoutMs?: number): Promise<SipResponse> {
    return this.expect(
      `${status} ${method ?? ''}`,
      (m) =>
        m instanceof SipResponse && m.status === status && (method === undefined || m.cseq.method === method),
      timeoutMs,
    ) as Promise<SipResponse>;
  }

  expectRequest(method: string, timeoutMs?: number): Promise<SipRequest> {
    return this.expect(
      method,
      (m) => m instanceof SipRequest && m.method === method,
      timeoutMs,
    ) as Promise<SipRequest>;
  }

  /** True when nothing matching has arrived (and been left unconsumed) so far. */
  has(match: (m: Message) => boolean): boolean {
    return this.queue.some((q) => match(q.message));
  }

  /** Sends `response` back where `request` came from (over TCP: the connection it arrived on). */
  async reply(request: SipRequest, response: SipResponse): Promise<void> {
    await this.send(response, this.sources.get(request)!);
  }

  async send(message: Message, to: Peer): Promise<void> {
    await this.transport.send(serializeMessage(message), to);
  }

  /** A new out-of-dialog request from this UA (fresh Call-ID, From tag, branch). */
  request(
    method: string,
    uri: string,
    options: { headers?: Array<[string, string]>; body?: string } = {},
  ): SipRequest {
    const proto = this.transport.protocol.toUpperCase();
    const headers: Array<[string, string]> = [
      ['Via', `SIP/2.0/${proto} ${this.hostport};rport;branch=${newBranch()}`],
      ['Max-Forwards', '70'],
      ['From', `<sip:alice@${this.hostport}>;tag=${newTag()}`],
      ['To', `<${uri}>`],
      ['Call-ID', `${randomUUID()}@scripted-ua`],
      ['CSeq', `${this.cseq++} ${method}`],
      ['Contact', `<${this.uri}>`],
      ...(options.headers ?? []),
    ];
    const body = Buffer.from(options.body ?? '', 'utf8');
    if (body.length > 0) headers.push(['Content-Type', 'application/sdp']);
    return new SipRequest(method, uri, headers, body);
  }

  invite(uri: string, body = SDP_A): SipRequest {
    return this.request('INVITE', uri, { body });
  }

  /** A request inside the dialog a 2xx (to our INVITE) or our 2xx (to theirs) established. */
  inDialog(
    method: string,
    dialog: UaDialog,
    options: { headers?: Array<[string, string]>; body?: string; seq?: number } = {},
  ): SipRequest {
    const proto = this.transport.protocol.toUpperCase();
    const seq = options.seq ?? ++dialog.localSeq;
    const headers: Array<[string, string]> = [
      ['Via', `SIP/2.0/${proto} ${this.hostport};rport;branch=${newBranch()}`],
      ['Max-Forwards', '70'],
      ['From', dialog.local],
      ['To', dialog.remote],
      ['Call-ID', dialog.callId],
      ['CSeq', `${seq} ${method}`],
      ...dialog.routeSet.map((r): [string, string] => ['Route', r]),
      ['Contact', `<${this.uri}>`],
      ...(options.headers ?? []),
    ];
    const body = Buffer.from(options.body ?? '', 'utf8');
    if (body.length > 0) headers.push(['Content-Type', 'application/sdp']);
    return new SipRequest(method, dialog.remoteTarget, headers, body);
  }

  /** The ACK for a 2xx to our INVITE (new branch, the INVITE's CSeq number). */
  ackFor(invite: SipRequest, response: SipResponse): SipRequest {
    const dialog = dialogAsUac(invite, response);
    return this.inDialog('ACK', dialog, { seq: invite.cseq.seq });
  }

  /** The ACK for a non-2xx final (same branch as the INVITE, RFC 3261 17.1.1.3). */
  ackNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
    return new SipRequest('ACK', invite.uri, [
      ['Via', invite.get('Via')!],
      ['Max-Forwards', '70'],
      ['From', invite.get('From')!],
      ['To', response.get('To')!],
      ['Call-ID', invite.callId],
      ['CSeq', `${invite.cseq.seq} ACK`],
    ]);
  }

  cancel(invite: SipRequest): SipRequest {
    return new SipRequest('CANCEL', invite.uri, [
      ['Via', invite.get('Via')!],
      ['Max-Forwards', '70'],
      ['From', invite.get('From')!],
      ['To', invite.get('To')!],
      ['Call-ID', invite.callId],
      ['CSeq', `${invite.cseq.seq} CANCEL`],
    ]);
  }

  /** Answers a request; `toTag` makes the local tag of a dialog. Contact is added for INVITE answers. */
  respond(
    request: SipRequest,
    status: number,
    options: { toTag?: string; body?: string; headers?: Array<[string, string]> } = {},
  ): SipResponse {
    const headers: Array<[string, string]> = [...(options.headers ?? [])];
    if (request.method === 'INVITE' && status < 300 && status > 100) {
      // RFC 3261 12.1.1: a dialog-creating response copies the Record-Route and carries a Contact.
      for (const rr of request.getAll('Record-Route')) headers.push(['Record-Route', rr]);
      headers.push(['Contact', `<${this.uri}>`]);
    }
    const body = Buffer.from(options.body ?? '', 'utf8');
    return buildResponse(request, status, undefined, {
      toTag: options.toTag ?? 'ua-tag',
      headers,
      body,
      contentType: body.length > 0 ? 'application/sdp' : undefined,
    });
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The peer's view of a dialog, enough to send requests inside it. */
export interface UaDialog {
  callId: string;
  local: string;
  remote: string;
  remoteTarget: string;
  routeSet: string[];
  localSeq: number;
}

/** The dialog our INVITE and its 2xx made. */
export function dialogAsUac(invite: SipRequest, response: SipResponse): UaDialog {
  return {
    callId: invite.callId,
    local: invite.get('From')!,
    remote: response.get('To')!,
    remoteTarget: response.contacts[0]!.uri,
    routeSet: response.getAll('Record-Route').reverse(),
    localSeq: invite.cseq.seq,
  };
}

/** The dialog their INVITE and our 2xx made. */
export function dialogAsUas(invite: SipRequest, response: SipResponse): UaDialog {
  return {
    callId: invite.callId,
    local: response.get('To')!,
    remote: invite.get('From')!,
    remoteTarget: invite.contacts[0]!.uri,
    routeSet: invite.getAll('Record-Route'),
    localSeq: 1000,
  };
}

function describe(m: Message): string {
  return m instanceof SipRequest ? m.method : `${m.status}/${m.cseq.method}`;
}
