// The UDP inner interface (seed 004): REQUEST in, ACK out, RESPONSE acknowledgements in; peer allowlist;
// retransmission answers. Each datagram passes the checks of CONTRACT "IIF wire" in order: size, peer,
// grammar, then ACK routing or the REQUEST rules (iif-request.ts), then the core.
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '@callctl/logging';
import type { Callbacks, CallbackSpec } from '../app/ports.js';
import { acknowledgedResponseId, formatAck, parseIifMessage } from './iif-message.js';
import { decideIifRequest } from './iif-request.js';
import { createLogLimiter } from './log-limiter.js';
import { formatAddress, matchPeer, parsePeers, type IifPeer, type SourceAddress } from './peers.js';
import type { ResponseSender } from './response-sender.js';

export interface IifServerOptions {
  host: string;
  port: number;
  /** CALLBACK_IIF_PEERS, parsed by iif/peers.ts (a bad list throws a ConfigError naming the variable). */
  peers: string;
  maxDatagramBytes: number;
  retransmissionWindowMs: number;
  callbacks: Callbacks;
  /** Gets the `ACK: id=..;code=ok` datagrams that acknowledge RESPONSEs. */
  responses: ResponseSender;
  log: Logger;
  /** CALLBACK_MAX_DURATION_S: a longer `duration` gets code=fail here already. @default 86400 */
  maxDurationS?: number;
  /** Drops and refusals are logged at most once per reason per this long. @default 10000 */
  logIntervalMs?: number;
}

export interface IifCounters {
  /** REQUESTs with an id, each answered with an ACK (retransmissions included). */
  requests: number;
  /** Answered `code=fail`: malformed, or refused by the core (retransmissions not counted again). */
  failed: number;
  droppedUnknownPeer: number;
  /** Oversize, unparsable, without an id, not a REQUEST, or an ACK that acknowledges nothing we send. */
  droppedMalformed: number;
  /** REQUESTs answered from the retransmission cache (start() not called). */
  retransmissions: number;
}

export interface IifServer {
  /** The bound address (port 0 picks a free one). */
  readonly address: { host: string; port: number };
  counters(): IifCounters;
  close(): Promise<void>;
}

interface CachedAck {
  /** keep false: the core failed (not refused), so a retransmission asks it again. */
  answer: Promise<{ ack: string; keep: boolean }>;
  /** Infinity while start() is in flight. */
  expiresAt: number;
}

export async function startIifServer(options: IifServerOptions): Promise<IifServer> {
  // Before binding: a bad peer list stops the service at start with the variable named.
  const peers = parsePeers(options.peers);
  const log = options.log.child({ module: 'iif' });
  const maxDurationS = options.maxDurationS ?? 86_400;
  const limiter = createLogLimiter(options.logIntervalMs ?? 10_000);
  const counters: IifCounters = {
    requests: 0,
    failed: 0,
    droppedUnknownPeer: 0,
    droppedMalformed: 0,
    retransmissions: 0,
  };
  // Source + exact bytes -> the ACK given: a retransmission is answered the same without asking the core.
  const answered = new Map<string, CachedAck>();
  let closed = false;
  if (peers.length === 0) log.warn('CALLBACK_IIF_PEERS is empty: every datagram will be dropped');

  const socket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // An ICMP unreachable surfaced as a socket error must not end the service.
  socket.on('error', (err) => log.warn({ err }, 'IIF socket error'));

  function send(datagram: string, to: SourceAddress): void {
    if (closed) return;
    const failed = (err: unknown) => log.warn({ err, to: formatAddress(to) }, 'IIF send failed');
    try {
      socket.send(datagram, to.port, to.host, (err) => err && failed(err));
    } catch (err) {
      failed(err); // thrown at once for a source port 0, say
    }
  }
  options.responses.attach(send);

  function logLimited(
    reason: string,
    fields: Record<string, unknown>,
    message: string,
    level: 'warn' | 'error' = 'warn',
  ): void {
    const suppressed = limiter.admit(reason);
    if (suppressed !== undefined) log[level]({ ...fields, reason, suppressedSinceLast: suppressed }, message);
  }

  function dropMalformed(reason: string, source: SourceAddress, detail: string): void {
    counters.droppedMalformed += 1;
    logLimited(reason, { source: formatAddress(source), detail }, 'IIF datagram dropped');
  }

  async function handle(data: Buffer, source: SourceAddress): Promise<void> {
    if (data.length > options.maxDatagramBytes)
      return dropMalformed('oversize', source, `${data.length} bytes > ${options.maxDatagramBytes}`);
    const peer = matchPeer(peers, source);
    if (!peer) {
      counters.droppedUnknownPeer += 1;
      logLimited(
        'unknown-peer',
        { source: formatAddress(source) },
        'IIF datagram from a source not on CALLBACK_IIF_PEERS dropped',
      );
      return;
    }
    const parsed = parseIifMessage(data);
    if (!parsed.ok) return dropMalformed('unparsable', source, parsed.reason);
    const { message } = parsed;
    if (message.method === 'ACK') {
      const id = acknowledgedResponseId(message);
      if (!id) return dropMalformed('bad-ack', source, 'an ACK other than id=..;code=ok');
      if (!options.responses.acknowledge(id, formatAddress(source)))
        log.debug({ id, source: formatAddress(source) }, 'ACK of no RESPONSE owed (a late duplicate)');
      return;
    }
    const decision = decideIifRequest(message, { maxDurationS });
    if (decision.kind === 'drop') return dropMalformed('not-a-request', source, decision.reason);
    counters.requests += 1;
    if (decision.kind === 'fail') {
      counters.failed += 1;
      logLimited(
        'malformed-request',
        { source: formatAddress(source), id: decision.id, detail: decision.reason },
        'IIF REQUEST answered code=fail',
      );
      return send(formatAck(decision.id, 'fail'), source);
    }
    return answerValidRequest(data, decision.id, decision.spec, peer, source);
  }

  async function answerValidRequest(
    data: Buffer,
    id: string,
    spec: CallbackSpec,
    peer: IifPeer,
    source: SourceAddress,
  ): Promise<void> {
    const key = `${formatAddress(source)} ${data.toString('latin1')}`;
    const cached = answered.get(key);
    // An expired answer the sweep has not reached yet is no answer.
    if (cached && cached.expiresAt > Date.now()) {
      counters.retransmissions += 1;
      return send((await cached.answer).ack, source);
    }
    const entry: CachedAck = { answer: start(id, spec, peer, source), expiresAt: Infinity };
    answered.set(key, entry);
    const { ack, keep } = await entry.answer;
    if (keep) entry.expiresAt = Date.now() + options.retransmissionWindowMs;
    else answered.delete(key);
    send(ack, source);
  }

  /** The ACK for a valid REQUEST, once the core has it in the log (or has refused it). Never rejects. */
  async function start(
    id: string,
    spec: CallbackSpec,
    peer: IifPeer,
    source: SourceAddress,
  ): Promise<{ ack: string; keep: boolean }> {
    const origin = {
      kind: 'iif' as const,
      peerName: peer.name,
      peerAddress: formatAddress(source),
      iifId: id,
    };
    try {
      const outcome = await options.callbacks.start(spec, origin);
      if (outcome.ok) {
        log.debug(
          { id, callbackId: outcome.view.callbackId, created: outcome.created },
          'IIF REQUEST accepted',
        );
        return { ack: formatAck(id, 'ok'), keep: true };
      }
      counters.failed += 1;
      logLimited(
        `refused-${outcome.reason}`,
        { source: origin.peerAddress, id, detail: outcome.message },
        'IIF REQUEST refused',
      );
      return { ack: formatAck(id, 'fail'), keep: true };
    } catch (err) {
      counters.failed += 1;
      const fields = { err, id, source: origin.peerAddress };
      logLimited('core-failed', fields, 'IIF REQUEST failed in the core', 'error');
      return { ack: formatAck(id, 'fail'), keep: false };
    }
  }

  socket.on('message', (data, rinfo) => {
    const source = { host: rinfo.address, port: rinfo.port };
    handle(data, source).catch((err: unknown) =>
      log.error({ err, source: formatAddress(source) }, 'IIF datagram handling failed'),
    );
  });

  // Expired answers go in the background: the map holds at most a window's worth of REQUESTs.
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [key, entry] of answered) if (entry.expiresAt <= now) answered.delete(key);
    },
    Math.max(1000, Math.min(options.retransmissionWindowMs, 10_000)),
  );
  sweep.unref();

  const bound = socket.address();
  log.info({ host: bound.address, port: bound.port, peers: peers.map((p) => p.name) }, 'IIF listening');
  return {
    address: { host: bound.address, port: bound.port },
    counters: () => ({ ...counters }),
    close: () => {
      closed = true;
      clearInterval(sweep);
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
