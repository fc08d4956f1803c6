// Requests from the network (research §7.1, §7.7): new ones routed to an app, retransmissions, CANCEL,
// ACK for our 2xx, and requests inside dialogs.
import { buildResponse, formatVia, serializeMessage, type SipRequest, type Via } from '@callctl/sip';
import type { Inbound } from '../transport/transport.js';
import { type Flow } from './addressing.js';
import { endsSubscription, wireDialogId, type Dialog } from './dialog.js';
import { traceSip } from './sip-trace.js';
import { ServerTransaction } from './transaction-shell.js';
import type { CoreContext } from './core-context.js';
import type { AppRequests } from './app-requests.js';
import type { ProxyCore } from './proxy.js';
import { MIN_SE_SECONDS, readSessionExpires } from './session-timer.js';
import { InboundRequest, OutboundRequest } from './pending-requests.js';

/** Requests apps may receive outside a dialog; the others get 481 there (research §7.1). */
const NO_DIALOG_481 = new Set(['BYE', 'UPDATE', 'PRACK', 'REFER']);

export class NetworkRequests {
  constructor(
    private readonly core: CoreContext,
    private readonly requests: AppRequests,
    private readonly proxy: ProxyCore,
  ) {}

  onRequest(request: SipRequest, inbound: Inbound): void {
    traceSip(this.core.traceLog, 'recv', inbound.transport.protocol, inbound.remote, inbound.data);
    // RFC 3261 18.2.1 / RFC 3581: the top Via records where the request really came from.
    const via = request.topVia;
    via.received = inbound.remote.address;
    via.rport = inbound.remote.port;
    request.setTopVia(formatVia(via));
    if (via.params.has('alias')) aliasConnection(via, inbound);
    if (request.has('Route') && this.proxy.routedThroughUs(request)) {
      // A phone with the platform as its outbound proxy preloads our Route on its new requests (RFC 3261
      // 8.1.2; REGISTER sip:<domain>, INVITE sip:bob@<domain>): with our entry popped (16.4) and none left
      // the request is ours, for the app. In-dialog requests of a record-routed dialog are forwarded.
      if (request.to.tag !== undefined || request.getAll('Route').length > 1)
        return this.proxy.forwardRequest(request, inbound);
      request.remove('Route');
    }
    const flow: Flow = { transport: inbound.transport, remote: inbound.remote };
    const method = request.method;
    const key = `${via.branch ?? ''}|${via.host}:${via.port ?? ''}|${method === 'ACK' ? 'INVITE' : method}`;
    const existing = this.core.servers.get(key);
    if (existing) {
      if (method === 'ACK') existing.ack();
      else existing.retransmission();
      return;
    }
    if (method === 'ACK') return this.onAck(request, flow);
    if (method === 'CANCEL') return this.onCancel(request, flow, key, via.branch ?? '');
    const toTag = request.to.tag;
    if (toTag !== undefined) return this.onInDialogRequest(request, flow, key, toTag);
    this.onNewRequest(request, flow, key, via.branch ?? '');
  }

  /** A server transaction answered only by the engine (errors, CANCEL's 200): absorbs retransmissions. */
  private answerAlone(
    request: SipRequest,
    flow: Flow,
    key: string,
    status: number,
    reason?: string,
    extra?: Array<[string, string]>,
  ): ServerTransaction {
    const txn = new ServerTransaction(this.core.txnContext, request, flow, key, {
      onTerminated: (t) => this.core.servers.get(key) === t && this.core.servers.delete(key),
      onAckTimeout: () => undefined,
    });
    this.core.servers.set(key, txn);
    const response = buildResponse(request, status, reason, { toTag: this.core.ids.tag(), headers: extra });
    txn.respond(response, serializeMessage(response));
    return txn;
  }

  private onNewRequest(request: SipRequest, flow: Flow, key: string, branch: string): void {
    const method = request.method;
    if (this.core.shedIfOverloaded(request, flow)) return;
    if (NO_DIALOG_481.has(method)) {
      this.answerAlone(request, flow, key, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const invalidRegister = method === 'REGISTER' ? registerProblem(request) : undefined;
    if (invalidRegister) {
      this.answerAlone(request, flow, key, 400, invalidRegister);
      return;
    }
    // Merged request (RFC 3261 8.2.2.2): same From tag, Call-ID and CSeq as one in progress, other branch.
    const mergeKey = `${request.callId}\n${request.from.tag ?? ''}\n${request.cseq.seq}\n${method}`;
    if (this.core.merged.has(mergeKey) || this.isLoop(request)) {
      this.answerAlone(request, flow, key, 482, 'Loop Detected');
      return;
    }
    const app = this.core.options.router.pick(method);
    if (!app) {
      // Only an INVITE's refusal needs a transaction (its ACK and retransmissions); any other request is
      // answered statelessly, so a flood of OPTIONS nobody routes costs no memory.
      if (method !== 'INVITE')
        return this.core.replyStatelessly(request, flow, 503, 'No application available');
      this.answerAlone(request, flow, key, 503, 'No application available');
      this.core.cdr('cdr:stop', 'application', ['call-rejected'], serializeMessage(request).toString('utf8'));
      return;
    }
    const creating = method === 'INVITE' || method === 'SUBSCRIBE';
    const req = new InboundRequest(this.core.ids.uuid(), app, creating, (r) => this.core.closeUnanswered(r));
    req.mergeKey = mergeKey;
    const txn = this.serverTransaction(request, flow, key, req);
    this.core.merged.set(mergeKey, txn);
    if (method === 'INVITE') {
      this.core.invitesByBranch.set(branch, req);
      const trying = buildResponse(request, 100, 'Trying');
      txn.respond(trying, serializeMessage(trying));
    }
    const text = serializeMessage(request);
    this.core.deliver(app, 'network', flow, req.txnId, '', text.toString('utf8'), flow.transport.local);
    if (method === 'INVITE') this.core.cdr('cdr:attempt', 'network', [], text.toString('utf8'));
  }

  /** A server transaction whose answer comes from an app (tracked by txn id until its final response). */
  private serverTransaction(
    request: SipRequest,
    flow: Flow,
    key: string,
    req: InboundRequest,
    byTxnId = true,
  ): ServerTransaction {
    const txn = new ServerTransaction(this.core.txnContext, request, flow, key, {
      onTerminated: (t) => {
        if (this.core.servers.get(key) === t) this.core.servers.delete(key);
        this.core.forgetInbound(req);
        const branch = request.topVia.branch ?? '';
        if (this.core.invitesByBranch.get(branch) === req) this.core.invitesByBranch.delete(branch);
      },
      onAckTimeout: () => {
        const dialog = req.dialog;
        if (dialog && !dialog.ended && dialog.awaitingAck === req)
          this.requests.byeFromEngine(dialog, 'ACK timeout');
      },
    });
    req.txn = txn;
    this.core.servers.set(key, txn);
    if (byTxnId) this.core.inbound.set(req.txnId, req);
    // Apps must answer everything; one that does not is answered for (research §10.7, improved: not silent).
    req.answerTimer = this.core.clock.after(64 * this.core.timers.t1Ms, () => {
      req.answerTimer = undefined;
      if (!txn.final && !txn.terminated) this.core.respondFor(req, 500, 'No answer from application');
    });
    return txn;
  }

  /** A request whose Via stack already holds one of our own branches came back to us. */
  private isLoop(request: SipRequest): boolean {
    if (request.count('Via') === 1 && !request.get('Via')!.includes(',')) return false;
    return request.vias
      .slice(1)
      .some((v) => v.branch !== undefined && this.core.clients.has(`${v.branch}|${request.method}`));
  }

  private onAck(request: SipRequest, flow: Flow): void {
    const toTag = request.to.tag;
    const fromTag = request.from.tag;
    if (toTag === undefined || fromTag === undefined) return;
    const dialog = this.core.dialogs.find(request.callId, toTag, fromTag);
    const waiting = dialog?.awaitingAck;
    if (!dialog || !(waiting instanceof InboundRequest) || waiting.txn.request.cseq.seq !== request.cseq.seq)
      return;
    dialog.awaitingAck = undefined;
    waiting.txn.ackFor2xx();
    const app = dialog.app;
    if (!app?.isOpen) return;
    const text = serializeMessage(request);
    const txnId = waiting.creating ? waiting.txnId : this.core.ids.uuid();
    this.core.deliver(app, 'network', flow, txnId, dialog.id, text.toString('utf8'));
  }

  private onCancel(request: SipRequest, flow: Flow, key: string, branch: string): void {
    const req = this.core.invitesByBranch.get(branch);
    if (!req || req.txn.terminated) {
      this.answerAlone(request, flow, key, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    if (req.txn.accepted) {
      // CANCEL after our 2xx: the call is up; the real server refuses the CANCEL and ends the call.
      this.answerAlone(request, flow, key, 481, 'Call/Transaction Does Not Exist');
      if (req.dialog && !req.dialog.ended) this.requests.byeFromEngine(req.dialog, 'CANCEL after 200 OK');
      return;
    }
    this.answerAlone(request, flow, key, 200, 'OK');
    if (req.txn.final) return;
    if (this.proxy.isProxied(req)) return this.proxy.cancelFromUpstream(req);
    req.cancelled = true;
    const terminated = buildResponse(req.txn.request, 487, 'Request Terminated', {
      toTag: this.core.localTagFor(req),
    });
    req.txn.respond(terminated, serializeMessage(terminated));
    this.core.dropEarlyDialog(req);
    this.core.forgetInbound(req);
    const text = serializeMessage(request).toString('utf8');
    if (req.app) this.core.deliver(req.app, 'network', flow, req.txnId, req.dialogId, text);
    this.core.cdr('cdr:stop', 'network', ['call-canceled'], text);
  }

  private onInDialogRequest(request: SipRequest, flow: Flow, key: string, toTag: string): void {
    const method = request.method;
    const fromTag = request.from.tag ?? '';
    const dialog = this.core.dialogs.find(request.callId, toTag, fromTag);
    if (
      method === 'UPDATE' &&
      (!dialog || dialog.early) &&
      this.onEarlyUpdate(request, flow, key, toTag, fromTag)
    ) {
      return;
    }
    if (!dialog || !dialog.app?.isOpen) {
      // No owner any more (research §7.8): 481; a BYE still ends the orphaned dialog, or it would stay for ever.
      if (dialog && method === 'BYE') this.requests.endDialog(dialog);
      this.answerAlone(request, flow, key, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const seq = request.cseq.seq;
    if (dialog.remoteSeq > 0 && seq <= dialog.remoteSeq) {
      this.answerAlone(request, flow, key, 500, 'CSeq out of order');
      return;
    }
    const session = method === 'INVITE' || method === 'UPDATE' ? readSessionExpires(request) : undefined;
    if (session && session.seconds < MIN_SE_SECONDS) {
      this.answerAlone(request, flow, key, 422, 'Session Interval Too Small', [
        ['Min-SE', String(MIN_SE_SECONDS)],
      ]);
      return;
    }
    if (method === 'INVITE') {
      // Glare (RFC 3261 14.2): our own re-INVITE is pending → 491; theirs still unanswered → 500.
      if (dialog.outboundInvite) {
        this.answerAlone(request, flow, key, 491, 'Request Pending');
        return;
      }
      if (dialog.inboundInvite) {
        this.answerAlone(request, flow, key, 500, 'Server Internal Error', [['Retry-After', '1']]);
        return;
      }
    }
    if (method === 'PRACK' && !this.prackMatches(dialog, request)) {
      this.answerAlone(request, flow, key, 481, 'No matching reliable provisional response');
      return;
    }
    dialog.remoteSeq = seq;
    const req = new InboundRequest(this.core.ids.uuid(), dialog.app, false, (r) =>
      this.core.closeUnanswered(r),
    );
    req.dialog = dialog;
    req.dialogId = dialog.id;
    const txn = this.serverTransaction(request, flow, key, req);
    dialog.pending.add(req);
    if (method === 'INVITE') {
      dialog.inboundInvite = req;
      const trying = buildResponse(request, 100, 'Trying');
      txn.respond(trying, serializeMessage(trying));
    }
    const text = serializeMessage(request).toString('utf8');
    if (method === 'BYE' || endsSubscription(dialog, method, request.get('Subscription-State'))) {
      // The dialog goes at once; the request itself still waits for the app's answer.
      dialog.pending.delete(req);
      this.requests.endDialog(dialog);
      if (method === 'BYE') this.core.cdr('cdr:stop', 'network', ['normal-release'], text);
    }
    this.core.deliver(dialog.app, 'network', flow, req.txnId, dialog.id, text);
  }

  /** A PRACK for our reliable provisional (RFC 3262 7.2: RAck = RSeq, CSeq number, method) stops its resends. */
  private prackMatches(dialog: Dialog, prack: SipRequest): boolean {
    const invite = dialog.earlyInvite;
    if (!(invite instanceof InboundRequest) || !invite.reliable) return false;
    const [rseq, cseq, method] = (prack.get('RAck') ?? '').trim().split(/\s+/);
    if (
      Number(rseq) !== invite.reliable.rseq ||
      Number(cseq) !== invite.txn.request.cseq.seq ||
      method !== 'INVITE'
    ) {
      return false;
    }
    invite.reliable.timer?.cancel();
    invite.reliable.timer = undefined;
    return true;
  }

  /**
   * UPDATE before the INVITE's 2xx (RFC 3311, research §7.12): delivered under the INVITE's txn id, one at a
   * time; the app's answer is told apart from the INVITE's by its CSeq method. The INVITE is ours as UAS
   * (their From tag makes the wire id) or as UAC (our tag, their To).
   */
  private onEarlyUpdate(
    request: SipRequest,
    flow: Flow,
    key: string,
    toTag: string,
    fromTag: string,
  ): boolean {
    const invite =
      this.core.earlyInvites.get(wireDialogId(request.callId, fromTag)) ??
      this.core.earlyInvites.get(wireDialogId(request.callId, toTag));
    if (!invite?.app?.isOpen) return false;
    if (invite.pendingUpdate) {
      this.answerAlone(request, flow, key, 500, 'Server Internal Error', [['Retry-After', '1']]);
      return true;
    }
    const update = new InboundRequest(invite.txnId, invite.app, false, (r) => this.core.closeUnanswered(r));
    update.updateOf = invite;
    update.dialogId = invite.dialogId;
    // Our own INVITE's txn id is free in the inbound table; a network INVITE's is taken by that INVITE.
    this.serverTransaction(request, flow, key, update, invite instanceof OutboundRequest);
    invite.pendingUpdate = update;
    const text = serializeMessage(request).toString('utf8');
    this.core.deliver(invite.app, 'network', flow, invite.txnId, update.dialogId, text);
    return true;
  }
}

/** REGISTER checks the real server makes before routing (research §7.1 step 4, RFC 3261 10.3). */
function registerProblem(request: SipRequest): string | undefined {
  const contacts = request.contacts;
  if (contacts.some((c) => c.star)) {
    const expires = request.get('Expires');
    if (contacts.length > 1 || expires === undefined || expires.trim() !== '0') {
      return 'Contact: * needs Expires: 0 and no other Contact';
    }
  }
  if (contacts.some((c) => !c.star && !/^[a-z][a-z0-9+.-]*:/i.test(c.uri)))
    return 'Contact without a URI scheme';
  return undefined;
}

/**
 * RFC 5923: a request whose Via carries `alias` lets requests to its sent-by reuse the connection it came
 * on. Only a sent-by at the connection's own address is honoured, so a peer cannot claim another host's
 * listening port (the RFC's worry); a different port is the point (phones listen on one and dial from another).
 */
function aliasConnection(via: Via, inbound: Inbound): void {
  if (!inbound.transport.alias) return;
  const host = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
  if (host !== inbound.remote.address) return;
  const port = via.port ?? (inbound.transport.protocol === 'tls' ? 5061 : 5060);
  inbound.transport.alias({ address: host, port }, inbound.remote);
}
