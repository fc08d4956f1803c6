// State the core's parts share: the injected clock/ids/timers, the transport list, the transaction and
// dialog tables (each entry removed when its transaction or dialog ends), and the small operations that
// keep those tables consistent or talk to the wire and the apps.
import type { Logger } from '@callctl/logging';
import { buildResponse, serializeMessage, type SipRequest } from '@callctl/sip';
import { cdrPayload, sipPayload, timeOfDay, type CdrType, type SipMeta } from '../admin/codec.js';
import type { AppConnection } from '../admin/connection.js';
import type { Router } from '../admin/router.js';
import { DEFAULT_TIMERS, type TimerConfig } from '../transaction/timers.js';
import type { Peer, SipTransport, TransportProtocol } from '../transport/transport.js';
import type { TargetResolver } from '../dns/sip-resolver.js';
import { targetOfUri, uriOfAddress, type Flow, type Target } from './addressing.js';
import { DialogTable } from './dialog.js';
import { behindNat, type NatEvidence } from './nat.js';
import { RegisteredFlows } from './registered-flows.js';
import { guardedClock, randomIds, systemClock, type Clock, type IdSource, type Timer } from './runtime.js';
import { traceSip } from './sip-trace.js';
import { type ServerTransaction, type TransactionContext } from './transaction-shell.js';
import { type InboundRequest, type OutboundRequest } from './pending-requests.js';
import { DEFAULT_CORE_LIMITS, overloadReason, type CoreLimits } from './limits.js';

export interface SipCoreOptions {
  transports: SipTransport[];
  router: Router<AppConnection>;
  log: Logger;
  clock?: Clock;
  ids?: IdSource;
  timers?: TimerConfig;
  /** Timer C: longest wait for a final response after a provisional one. @default 185_000 */
  timerCMs?: number;
  /** RFC 3263: a next hop's host name → the ordered targets to try. @default none: host names fail */
  resolver?: TargetResolver;
  /** Caps on transactions, pending requests and dialogs. @default DEFAULT_CORE_LIMITS */
  limits?: Partial<CoreLimits>;
}

export class CoreContext {
  readonly log: Logger;
  readonly traceLog: Logger;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly timers: TimerConfig;
  readonly timerCMs: number;
  readonly limits: CoreLimits;
  /** New requests refused with 503 because a table was at its cap. */
  shed = 0;
  /** What transaction shells get: clock, timers, log and the traced send. */
  readonly txnContext: TransactionContext;
  /** Server transactions by (branch, sent-by, method); ACK looks up its INVITE. */
  readonly servers = new Map<string, ServerTransaction>();
  /** Requests waiting for the app's answer, by the txn id the app quotes. */
  readonly inbound = new Map<string, InboundRequest>();
  /** INVITEs in progress by branch, for CANCEL (not by sent-by: a NAT may change it, research §10.5). */
  readonly invitesByBranch = new Map<string, InboundRequest>();
  /** Out-of-dialog requests by (Call-ID, From tag, CSeq), for merged-request detection (482). */
  readonly merged = new Map<string, ServerTransaction>();
  /** Client transactions by (branch, method). */
  readonly clients = new Map<string, OutboundRequest>();
  /**
   * INVITEs between their first provisional and their final response, by wire dialog id: an early UPDATE
   * (either side) is delivered under the INVITE's txn id.
   */
  readonly earlyInvites = new Map<string, InboundRequest | OutboundRequest>();
  /** Second forks of app INVITEs the engine ACKed and BYEd, for 64*T1 (their 2xx retransmissions get the ACK). */
  readonly endedForks = new Map<string, { flow: Flow; ack: Buffer; timer: Timer }>();
  /** App INVITEs by txn id, for the app's CANCEL. */
  readonly appInvites = new Map<string, OutboundRequest>();
  readonly dialogs = new DialogTable();
  /** Connections devices registered over, by Contact `user@host` (drachtio's per-contact tport cache). */
  readonly registeredFlows: RegisteredFlows;

  /** Where the last response to an app request came from (reported to the app; digest retries pin to it). */
  readonly lastResponseSource = new WeakMap<OutboundRequest, Flow>();

  constructor(readonly options: SipCoreOptions) {
    this.log = options.log;
    this.traceLog = options.log.child({ module: 'sip-trace' });
    this.clock = guardedClock(options.clock ?? systemClock, (err) =>
      this.log.error({ err }, 'timer callback failed'),
    );
    this.ids = options.ids ?? randomIds;
    this.timers = options.timers ?? DEFAULT_TIMERS;
    this.timerCMs = options.timerCMs ?? 185_000;
    this.limits = { ...DEFAULT_CORE_LIMITS, ...options.limits };
    this.registeredFlows = new RegisteredFlows(this.clock);
    this.txnContext = {
      clock: this.clock,
      timers: this.timers,
      log: this.log,
      send: (flow, data) => this.send(flow, data),
    };
  }

  send(flow: Flow, data: Buffer): Promise<void> {
    traceSip(this.traceLog, 'send', flow.transport.protocol, flow.remote, data);
    return flow.transport.send(data, flow.remote);
  }

  sendQuietly(flow: Flow, data: Buffer): void {
    this.send(flow, data).catch((err: unknown) => this.log.debug({ err }, 'message not sent'));
  }

  meta(source: SipMeta['source'], flow: Flow, bytes: number): SipMeta {
    return {
      source,
      bytes,
      protocol: flow.transport.protocol,
      address: flow.remote.address,
      port: flow.remote.port,
      time: timeOfDay(this.clock.now()),
    };
  }

  transportFor(protocol: TransportProtocol, peer: Peer): SipTransport | undefined {
    const v6 = peer.address.includes(':');
    return this.options.transports.find(
      (t) => t.protocol === protocol && t.local.address.includes(':') === v6,
    );
  }

  /** True when a target is one of our own listeners (bound or advertised address). */
  isSelf(target: Target): boolean {
    const { address, port } = target.peer;
    return this.options.transports.some(
      (t) =>
        t.protocol === target.protocol &&
        t.local.port === port &&
        (t.local.address === address ||
          t.advertised?.address === address ||
          t.local.address === '0.0.0.0' ||
          t.local.address === '::'),
    );
  }

  /**
   * Refuses a new request with 503 and Retry-After when a table is at its cap; true when it did. Stateless:
   * a retransmission is simply refused again, and the refusal itself holds no memory.
   */
  shedIfOverloaded(request: SipRequest, flow: Flow): boolean {
    const reason = overloadReason(
      request.method,
      {
        serverTransactions: this.servers.size,
        pendingRequests: this.inbound.size,
        dialogs: this.dialogs.size,
      },
      this.limits,
    );
    if (reason === undefined) return false;
    this.shed += 1;
    this.replyStatelessly(request, flow, 503, reason, [['Retry-After', String(this.limits.retryAfterS)]]);
    return true;
  }

  /** A final response sent without a server transaction (nothing to absorb retransmissions for). */
  replyStatelessly(
    request: SipRequest,
    flow: Flow,
    status: number,
    reason: string,
    headers?: Array<[string, string]>,
  ): void {
    const response = buildResponse(request, status, reason, { toTag: this.ids.tag(), headers });
    this.sendQuietly(flow, serializeMessage(response));
  }

  forgetInbound(req: InboundRequest): void {
    req.answerTimer?.cancel();
    req.answerTimer = undefined;
    if (this.inbound.get(req.txnId) === req) this.inbound.delete(req.txnId);
    if (this.earlyInvites.get(req.dialogId) === req) this.earlyInvites.delete(req.dialogId);
    if (req.updateOf?.pendingUpdate === req) req.updateOf.pendingUpdate = undefined;
    if (req.dialog?.inboundInvite === req) req.dialog.inboundInvite = undefined;
    if (req.mergeKey !== undefined && this.merged.get(req.mergeKey) === req.txn)
      this.merged.delete(req.mergeKey);
    req.dialog?.pending.delete(req);
  }

  /** A request still unanswered when its dialog ends gets 500 (research §7.7). */
  closeUnanswered(req: InboundRequest): void {
    if (!req.txn.final && !req.txn.terminated) this.respondFor(req, 500, 'Dialog terminated');
  }

  /** The engine answers a request on the app's behalf. */
  respondFor(req: InboundRequest, status: number, reason: string): void {
    const response = buildResponse(req.txn.request, status, reason, { toTag: this.localTagFor(req) });
    req.txn.respond(response, serializeMessage(response));
    if (status >= 200) this.forgetInbound(req);
    if (status >= 300) this.dropEarlyDialog(req);
  }

  /** An INVITE that failed takes the early dialog its reliable provisional made with it. */
  dropEarlyDialog(req: InboundRequest): void {
    if (req.creating && req.dialog?.early) this.dialogs.remove(req.dialog);
  }

  localTagFor(req: InboundRequest): string {
    req.localTag ??= req.txn.request.to.tag ?? this.ids.tag();
    return req.localTag;
  }

  /**
   * Where in-dialog requests go. Over a connection-oriented transport the connection the dialog was made on
   * is reused while it is up (the peer may not accept new connections), with the first route or remote
   * target as the fallback once it is gone; otherwise the first route or the remote target, unless the far
   * end is behind NAT (nat.ts, drachtio's detection): then the source its messages came from.
   */
  dialogFlow(
    origin: Flow,
    routeSet: string[],
    remoteTarget: string | undefined,
    nat?: Omit<NatEvidence, 'source' | 'routeSet' | 'contact'>,
  ): { flow: Flow; fallback?: Flow } {
    const next = routeSet[0] !== undefined ? uriOfAddress(routeSet[0]) : remoteTarget;
    let routed: Flow | undefined;
    try {
      if (next !== undefined) {
        const target = targetOfUri(next);
        routed = {
          transport: this.transportFor(target.protocol, target.peer) ?? origin.transport,
          remote: target.peer,
        };
      }
    } catch {
      routed = undefined;
    }
    if (origin.transport.reliable) return { flow: origin, fallback: routed };
    const natted =
      nat !== undefined && behindNat({ ...nat, source: origin.remote, routeSet, contact: remoteTarget });
    if (natted) this.log.debug({ source: origin.remote, contact: remoteTarget }, 'far end behind nat');
    return { flow: natted ? origin : (routed ?? origin) };
  }

  /**
   * Hands SIP traffic to an app as a `sip` frame (research §4.2). `receivedOn` (our local address) is only
   * given for new requests from the network.
   */
  deliver(
    app: AppConnection,
    source: SipMeta['source'],
    flow: Flow,
    txnId: string,
    dialogId: string,
    text: string,
    receivedOn?: Peer,
  ): void {
    const meta = this.meta(source, flow, Buffer.byteLength(text));
    app.send(sipPayload(this.ids.uuid(), meta, txnId, dialogId, text, receivedOn));
  }

  /**
   * The `OK` echo of something an app had the engine send (research §4.1): the message exactly as sent, our
   * txn id, and for responses the dialog id. Token positions are the ones srf reads.
   */
  echo(
    conn: AppConnection,
    msgId: string,
    flow: Flow,
    bytes: Buffer,
    txnId: string,
    dialogId?: string,
  ): void {
    const where = [
      'application',
      String(bytes.length),
      flow.transport.protocol,
      flow.remote.address,
      String(flow.remote.port),
      timeOfDay(this.clock.now()),
      txnId,
    ];
    const tail = dialogId === undefined ? ['Msg sent:', ''] : [dialogId, '', 'Msg sent:', ''];
    conn.respond(msgId, 'OK', [...where, ...tail], bytes.toString('utf8'));
  }

  cdr(type: CdrType, source: 'network' | 'application', fields: string[], text: string): void {
    const app = this.options.router.pick(type);
    if (!app) return;
    app.send(cdrPayload(this.ids.uuid(), type, [source, timeOfDay(this.clock.now()), ...fields], text));
  }
}
