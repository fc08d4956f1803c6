// Requests the engine sends for apps or itself (research §7.3-§7.6), and the responses to them.
import { isIP } from 'node:net';
import {
  buildCancel,
  buildResponse,
  isSipParseError,
  serializeMessage,
  SipRequest,
  type SipResponse,
} from '@callctl/sip';
import type { AppConnection } from '../admin/connection.js';
import type { Inbound } from '../transport/transport.js';
import {
  AddressError,
  nextHopOfUri,
  resolveNextHop,
  systemLookup,
  type NextHop,
  sentBy,
  isSipsUri,
  localContactUri,
  viaTransport,
  type Flow,
  type Target,
} from './addressing.js';
import { contentTypeFor, sortAppHeaders, safeTag } from './app-sip.js';
import { Dialog, endsSubscription, wireDialogId } from './dialog.js';
import { traceSip } from './sip-trace.js';
import { ClientTransaction } from './transaction-shell.js';
import { buildInDialogRequest } from './in-dialog-request.js';
import {
  armSessionTimer,
  MIN_SE_SECONDS,
  readSessionExpires,
  weRefresh,
  type SessionExpires,
} from './session-timer.js';
import type { CoreContext } from './core-context.js';
import type { ProxyCore } from './proxy.js';
import { InboundRequest, NOK, OutboundRequest, type SipFrame } from './pending-requests.js';

export class AppRequests {
  constructor(
    private readonly core: CoreContext,
    private readonly proxy: ProxyCore,
  ) {}

  onResponse(response: SipResponse, inbound: Inbound): void {
    traceSip(this.core.traceLog, 'recv', inbound.transport.protocol, inbound.remote, inbound.data);
    const via = response.topVia;
    const out = this.core.clients.get(`${via.branch ?? ''}|${response.cseq.method}`);
    if (out) {
      this.core.lastResponseSource.set(out, { transport: inbound.transport, remote: inbound.remote });
      out.txn.receive(response);
      return;
    }
    // A response in a dialog we record-routed as a proxy, or a 2xx retransmission a proxied INVITE gets.
    if (this.proxy.forwardResponse(response, inbound)) return;
    // A 2xx retransmission after the INVITE client transaction ended: re-send our ACK if the app sent one.
    if (response.status >= 200 && response.status < 300 && response.cseq.method === 'INVITE') {
      const dialog = this.core.dialogs.find(response.callId, response.from.tag ?? '', response.to.tag ?? '');
      if (dialog?.lastAck && dialog.ackSeq === response.cseq.seq)
        this.core.sendQuietly(dialog.flow, dialog.lastAck);
      else if (!dialog) this.endOtherFork(response, inbound);
    }
  }

  /**
   * A 2xx from a second fork of an INVITE whose first 2xx made the app's dialog (RFC 3261 13.2.2.4): the
   * app knows one dialog only, so the engine ACKs this one and ends it with BYE, once; retransmissions of
   * that 2xx just get the ACK again.
   */
  private endOtherFork(response: SipResponse, inbound: Inbound): void {
    const fromTag = response.from.tag ?? '';
    const first = this.core.dialogs.findById(wireDialogId(response.callId, fromTag));
    if (!first || first.role !== 'uac' || first.ackSeq !== response.cseq.seq) return;
    const key = `${response.callId}\n${fromTag}\n${response.to.tag ?? ''}`;
    const ended = this.core.endedForks.get(key);
    if (ended) return this.core.sendQuietly(ended.flow, ended.ack);
    const contact = response.contacts[0];
    const routeSet = response.getAll('Record-Route').reverse();
    const remoteTarget = contact && !contact.star ? contact.uri : first.remoteTarget;
    const fork = new Dialog({
      role: 'uac',
      usage: 'invite',
      callId: response.callId,
      localTag: fromTag,
      remoteTag: response.to.tag ?? '',
      local: first.local,
      remote: response.get('To') ?? '',
      localSeq: first.ackSeq,
      remoteSeq: 0,
      remoteTarget,
      routeSet,
      localContact: first.localContact,
      ...this.core.dialogFlow(
        { transport: inbound.transport, remote: inbound.remote },
        routeSet,
        remoteTarget,
        { role: 'uac', method: 'INVITE' },
      ),
      app: undefined,
      inviteSeq: first.ackSeq,
    });
    const ack = serializeMessage(
      buildInDialogRequest(fork, undefined, 'ACK', this.core.ids.branch(), first.ackSeq),
    );
    this.core.sendQuietly(fork.flow, ack);
    const timer = this.core.clock.after(64 * this.core.timers.t1Ms, () => this.core.endedForks.delete(key));
    this.core.endedForks.set(key, { flow: fork.flow, ack, timer });
    const branch = this.core.ids.branch();
    const bye = buildInDialogRequest(fork, undefined, 'BYE', branch);
    bye.append('Reason', 'SIP ;cause=200 ;text="Call completed elsewhere"');
    this.startClient(
      undefined,
      undefined,
      new OutboundRequest(this.core.ids.uuid(), undefined, '', undefined, false),
      bye,
      fork.flow,
      branch,
    );
  }

  /** §7.3: a new request outside any dialog. Host names in the next hop are resolved first. */
  appNewRequest(conn: AppConnection, frame: SipFrame, appRequest: SipRequest): void {
    if (appRequest.method === 'ACK') return conn.respond(frame.msgId, 'NOK', [NOK.ackNon2xx]);
    // A device that registered over a connection is reached over it (drachtio's tport cache); a next hop
    // the app names (srf `proxy`) wins, unlike drachtio, which looks in its cache first.
    const registered = frame.routeUrl
      ? undefined
      : this.core.registeredFlows.find(appRequest.method, appRequest.uri);
    if (registered) {
      const target = { peer: registered.remote, protocol: registered.transport.protocol };
      return this.sendNewRequest(conn, frame, appRequest, target);
    }
    let hop: NextHop;
    try {
      hop = nextHopOfUri(frame.routeUrl || appRequest.uri);
    } catch (err) {
      const why = err instanceof AddressError || isSipParseError(err) ? (err as Error).message : 'bad uri';
      return conn.respond(frame.msgId, 'NOK', [`invalid request-uri: ${appRequest.uri} (${why})`]);
    }
    if (isIP(hop.host) !== 0) {
      this.sendNewRequest(conn, frame, appRequest, {
        peer: { address: hop.host, port: hop.port },
        protocol: hop.protocol,
      });
      return;
    }
    resolveNextHop(hop, this.core.options.lookupHost ?? systemLookup)
      .then(
        (target) => this.sendNewRequest(conn, frame, appRequest, target),
        () => conn.respond(frame.msgId, 'NOK', [`cannot resolve host ${hop.host}`]),
      )
      .catch((err: unknown) => {
        // Outside the admin handler's try/catch: answer here so the app is not left waiting.
        this.core.log.error({ err }, 'sending a resolved request failed');
        conn.respond(frame.msgId, 'NOK', ['internal error']);
      });
  }

  private sendNewRequest(conn: AppConnection, frame: SipFrame, appRequest: SipRequest, target: Target): void {
    const method = appRequest.method;
    const transport = this.core.transportFor(target.protocol, target.peer);
    if (!transport) return conn.respond(frame.msgId, 'NOK', ['requested protocol/transport not available']);
    if (this.core.isSelf(target)) return conn.respond(frame.msgId, 'NOK', ['can not send request to myself']);
    const hostport = sentBy(transport);
    const headers = sortAppHeaders(appRequest, hostport, false);
    const body = appRequest.body;
    const contentType = contentTypeFor(body, headers.contentType);
    if (body.length > 0 && contentType === undefined)
      return conn.respond(frame.msgId, 'NOK', ['missing content-type']);

    let from = headers.from ?? `<sip:${hostport}>`;
    let fromTag = safeTag(from);
    if (fromTag === undefined) {
      fromTag = this.core.ids.tag();
      from = `${from};tag=${fromTag}`;
    }
    const callId = headers.callId ?? this.core.ids.callId();
    const branch = this.core.ids.branch();
    const list: Array<[string, string]> = [
      ['Via', `SIP/2.0/${viaTransport(transport)} ${hostport};rport;branch=${branch}`],
      ['Max-Forwards', headers.maxForwards ?? '70'],
      ['From', from],
      ['To', headers.to ?? `<${appRequest.uri}>`],
      ['Call-ID', callId],
      ['CSeq', headers.cseq ?? `${this.core.ids.cseq()} ${method}`],
      ...headers.other,
    ];
    const dialogForming = method === 'INVITE' || method === 'SUBSCRIBE';
    const contact =
      headers.contact ??
      (dialogForming ? `<${localContactUri(transport, isSipsUri(appRequest.uri))}>` : undefined);
    if (contact !== undefined) list.push(['Contact', contact]);
    if (contentType !== undefined && body.length > 0) list.push(['Content-Type', contentType]);
    const request = new SipRequest(method, appRequest.uri, list, body);
    const dialogId = dialogForming ? wireDialogId(callId, fromTag) : '';
    const out = new OutboundRequest(this.core.ids.uuid(), conn, dialogId, undefined, dialogForming);
    this.startClient(conn, frame.msgId, out, request, { transport, remote: target.peer }, branch);
    if (method === 'INVITE') {
      this.core.appInvites.set(out.txnId, out);
      this.core.cdr('cdr:attempt', 'application', [], out.txn.bytes.toString('utf8'));
    }
  }

  /** Echoes the request to the app (when there is one) and starts its client transaction. */
  private startClient(
    conn: AppConnection | undefined,
    msgId: string | undefined,
    out: OutboundRequest,
    request: SipRequest,
    flow: Flow,
    branch: string,
  ): void {
    const bytes = serializeMessage(request);
    const key = `${branch}|${request.method}`;
    out.txn = new ClientTransaction(this.core.txnContext, request, bytes, flow, key, {
      onResponse: (_t, response) => this.clientResponse(out, response),
      onFailure: (_t, status) => this.clientFailure(out, status),
      onTerminated: () => {
        out.timerC?.cancel();
        if (this.core.earlyInvites.get(out.dialogId) === out) this.core.earlyInvites.delete(out.dialogId);
        if (this.core.clients.get(key) === out) this.core.clients.delete(key);
        if (this.core.appInvites.get(out.txnId) === out) this.core.appInvites.delete(out.txnId);
        if (out.dialog?.outboundInvite === out) out.dialog.outboundInvite = undefined;
      },
    });
    this.core.clients.set(key, out);
    if (conn && msgId !== undefined) this.core.echo(conn, msgId, flow, bytes, out.txnId);
    out.txn.start();
  }

  private clientResponse(out: OutboundRequest, response: SipResponse): void {
    const status = response.status;
    if (status < 200 && out.pendingCancel) {
      const cancel = out.pendingCancel;
      out.pendingCancel = undefined;
      this.core.clients.set(cancel.txn.key, cancel);
      cancel.txn.start();
    }
    if (status >= 200) {
      out.pendingCancel = undefined;
      out.timerC?.cancel();
      // The offer/answer exchange is over with the final response, not when the transaction ends (timer D).
      if (out.dialog?.outboundInvite === out) out.dialog.outboundInvite = undefined;
    } else if (out.txn.invite) {
      this.armTimerC(out);
    }
    if (status === 100) return;
    const request = out.txn.request;
    const method = request.method;
    // A reliable provisional (RSeq) makes an early dialog the app's PRACK is sent in (research §7.4).
    if (out.creating && method === 'INVITE' && status < 200 && response.has('RSeq') && response.to.tag) {
      out.earlyDialog ??= this.createUacDialog(out, response, true);
    }
    if (out.creating && method === 'INVITE') {
      if (status < 200) this.core.earlyInvites.set(out.dialogId, out);
      else if (this.core.earlyInvites.get(out.dialogId) === out) this.core.earlyInvites.delete(out.dialogId);
    }
    let text: string | undefined;
    if (out.creating && status >= 200) {
      text = serializeMessage(response).toString('utf8');
      if (status < 300) {
        const dialog = this.createUacDialog(out, response);
        if (method === 'INVITE') this.core.cdr('cdr:start', 'network', ['uac'], text);
        if (out.cancelled) dialog.byeAfterAck = true;
        // An early dialog of another fork that this 2xx did not confirm will never be: drop it.
        if (out.earlyDialog?.early && out.earlyDialog !== dialog) this.core.dialogs.remove(out.earlyDialog);
        if (method === 'INVITE' && !out.app?.isOpen) {
          // The app that placed the call is gone: nobody will ACK, so the engine does and hangs up.
          const ack = buildInDialogRequest(
            dialog,
            undefined,
            'ACK',
            this.core.ids.branch(),
            request.cseq.seq,
          );
          dialog.lastAck = serializeMessage(ack);
          this.core.sendQuietly(dialog.flow, dialog.lastAck);
          this.byeFromEngine(dialog, 'Application gone');
        }
      } else if (method === 'INVITE') {
        this.core.cdr('cdr:stop', 'network', [status === 487 ? 'call-canceled' : 'call-rejected'], text);
        if (out.earlyDialog?.early) this.core.dialogs.remove(out.earlyDialog);
      }
    } else if (method === 'INVITE' && out.dialog && status >= 200 && status < 300) {
      out.dialog.ackSeq = request.cseq.seq;
      const target = response.contacts[0];
      if (target && !target.star) out.dialog.remoteTarget = target.uri;
    }
    if (method === 'INVITE' && status >= 200 && status < 300 && !out.onFinal)
      this.sessionAfterOur2xx(out, response);
    // BYE (and NOTIFY terminated in a subscription) end the dialog on their final response, except a
    // challenge: the app may retry with credentials (research §10.12).
    const dialog = out.dialog;
    const ending =
      dialog && (method === 'BYE' || endsSubscription(dialog, method, request.get('Subscription-State')));
    if (ending && status >= 200 && status !== 401 && status !== 407) this.endDialog(dialog);
    this.deliverResponse(out, response, text);
    if (status >= 200) out.onFinal?.(response);
  }

  private deliverResponse(out: OutboundRequest, response: SipResponse, text?: string): void {
    const app = out.app;
    if (!app?.isOpen) return;
    const body = text ?? serializeMessage(response).toString('utf8');
    const flow = this.core.lastResponseSource.get(out) ?? out.txn.flow;
    this.core.deliver(app, 'network', flow, out.txnId, out.dialogId, body);
  }

  private clientFailure(out: OutboundRequest, status: 408 | 503): void {
    if (out.txn.status >= 200) return;
    if (out.dialog?.outboundInvite === out) out.dialog.outboundInvite = undefined;
    const response = buildResponse(
      out.txn.request,
      status,
      status === 408 ? 'Request Timeout' : 'Service Unavailable',
      {
        toTag: this.core.ids.tag(),
      },
    );
    this.core.lastResponseSource.set(out, out.txn.flow);
    const request = out.txn.request;
    if (out.creating && request.method === 'INVITE')
      this.core.cdr(
        'cdr:stop',
        'application',
        ['call-rejected'],
        serializeMessage(response).toString('utf8'),
      );
    if (request.method === 'BYE' && out.dialog) this.endDialog(out.dialog);
    this.deliverResponse(out, response);
    out.onFinal?.(response);
  }

  private createUacDialog(out: OutboundRequest, response: SipResponse, early = false): Dialog {
    const request = out.txn.request;
    const remoteTag = response.to.tag ?? '';
    const existing = this.core.dialogs.find(request.callId, request.from.tag ?? '', remoteTag);
    if (existing) {
      if (existing.early && !early) {
        // The 2xx confirms the early dialog; its Contact is the target from now on.
        existing.early = false;
        const target = response.contacts[0];
        if (target && !target.star) existing.remoteTarget = target.uri;
      }
      return existing;
    }
    const routeSet = response.getAll('Record-Route').reverse();
    const contact = response.contacts[0];
    const remoteTarget = contact && !contact.star ? contact.uri : request.uri;
    const localContact = request.contacts[0]?.uri ?? localContactUri(out.txn.flow.transport);
    const dialog = new Dialog({
      role: 'uac',
      usage: request.method === 'INVITE' ? 'invite' : 'subscribe',
      callId: request.callId,
      localTag: request.from.tag ?? '',
      remoteTag,
      local: request.get('From')!,
      remote: response.get('To')!,
      localSeq: request.cseq.seq,
      remoteSeq: 0,
      remoteTarget,
      routeSet,
      localContact,
      // The response's source, not where we sent the request: that is where a NATed far end is reached.
      ...this.core.dialogFlow(this.core.lastResponseSource.get(out) ?? out.txn.flow, routeSet, remoteTarget, {
        role: 'uac',
        method: request.method,
      }),
      app: out.app,
      inviteSeq: request.cseq.seq,
    });
    dialog.early = early;
    this.core.dialogs.add(dialog);
    return dialog;
  }

  /** §7.5: a request inside a dialog (ACK and BYE included). */
  appInDialogRequest(conn: AppConnection, frame: SipFrame, appRequest: SipRequest): void {
    const method = appRequest.method;
    const dialog = this.core.dialogs.findById(frame.dialogId);
    if (method === 'ACK') {
      if (!dialog) return conn.respond(frame.msgId, 'NOK', [NOK.ackNon2xx]);
      const ack = buildInDialogRequest(dialog, appRequest, 'ACK', this.core.ids.branch(), dialog.ackSeq);
      const bytes = serializeMessage(ack);
      dialog.lastAck = bytes;
      this.core.echo(conn, frame.msgId, dialog.flow, bytes, this.core.ids.uuid());
      this.core.sendQuietly(dialog.flow, bytes);
      if (dialog.byeAfterAck) this.byeFromEngine(dialog, 'ACK-BYE due to cancel race condition');
      return;
    }
    if (!dialog) return conn.respond(frame.msgId, 'NOK', [NOK.noDialog]);
    if (method === 'CANCEL')
      return conn.respond(frame.msgId, 'NOK', ['CANCEL needs the INVITE transaction id']);
    // Hanging up while our own re-INVITE is pending: CANCEL it first (research §7.5).
    const pending = dialog.outboundInvite;
    if (
      method === 'BYE' &&
      pending instanceof OutboundRequest &&
      pending.txn.status < 200 &&
      !pending.cancelled
    ) {
      this.cancel(pending, []);
    }
    const branch = this.core.ids.branch();
    const request = buildInDialogRequest(dialog, appRequest, method, branch);
    const out = new OutboundRequest(this.core.ids.uuid(), conn, dialog.id, dialog, false);
    if (method === 'INVITE') dialog.outboundInvite = out;
    this.startClient(conn, frame.msgId, out, request, dialog.flow, branch);
    if (method === 'INVITE') this.core.appInvites.set(out.txnId, out);
    if (method === 'BYE')
      this.core.cdr('cdr:stop', 'application', ['normal-release'], out.txn.bytes.toString('utf8'));
  }

  /** §7.6: the app cancels its INVITE (held until a provisional response arrived, RFC 3261 9.1). */
  appCancel(conn: AppConnection, frame: SipFrame, appRequest: SipRequest): void {
    const out = this.core.appInvites.get(frame.txnId);
    if (!out || out.app !== conn) {
      return conn.respond(frame.msgId, 'NOK', [`unable to cancel unknown transaction id: ${frame.txnId}`]);
    }
    if (out.txn.status >= 200 || out.txn.terminated) {
      return conn.respond(frame.msgId, 'NOK', [
        `internal server error canceling transaction id: ${frame.txnId}`,
      ]);
    }
    const headers = sortAppHeaders(appRequest, sentBy(out.txn.flow.transport), false);
    const holder = this.cancel(out, headers.other);
    this.core.echo(conn, frame.msgId, out.txn.flow, holder.txn.bytes, holder.txnId);
  }

  /**
   * CANCELs a pending INVITE: sent now if a provisional response came, else held until one does
   * (RFC 3261 9.1). Its 200 is never shown to the app; the INVITE's 487 is.
   */
  private cancel(out: OutboundRequest, extraHeaders: Array<[string, string]>): OutboundRequest {
    const cancel = buildCancel(out.txn.request, extraHeaders);
    const bytes = serializeMessage(cancel);
    const key = `${out.txn.request.topVia.branch ?? ''}|CANCEL`;
    out.cancelled = true;
    const holder = new OutboundRequest(this.core.ids.uuid(), undefined, '', undefined, false);
    holder.txn = new ClientTransaction(this.core.txnContext, cancel, bytes, out.txn.flow, key, {
      onResponse: () => undefined,
      onFailure: () => undefined,
      onTerminated: () => this.core.clients.get(key) === holder && this.core.clients.delete(key),
    });
    if (out.txn.status >= 100) {
      this.core.clients.set(key, holder);
      holder.txn.start();
    } else {
      out.pendingCancel = holder;
    }
    return holder;
  }

  /**
   * Timer C (RFC 3261 16.6, research §7.4): an INVITE that had a provisional but no final response for
   * `timerCMs` is CANCELled; if even the CANCEL brings no final response the app gets a local 408 and the
   * transaction ends, so no INVITE stays in Proceeding for ever.
   */
  private armTimerC(out: OutboundRequest): void {
    out.timerC?.cancel();
    out.timerC = this.core.clock.after(this.core.timerCMs, () => {
      if (out.txn.status >= 200 || out.txn.terminated) return;
      this.cancel(out, [['Reason', 'SIP ;cause=408 ;text="Timer C"']]);
      out.timerC = this.core.clock.after(64 * this.core.timers.t1Ms, () => {
        if (out.txn.status >= 200 || out.txn.terminated) return;
        this.clientFailure(out, 408);
        out.txn.terminate();
      });
    });
  }

  endDialog(dialog: Dialog): void {
    this.core.dialogs.remove(dialog);
    const waiting = dialog.awaitingAck;
    dialog.awaitingAck = undefined;
    if (waiting instanceof InboundRequest) waiting.txn.ackFor2xx();
  }

  /** BYE sent by the engine itself (no ACK, CANCEL after 200); the app hears of it as `unsolicited`. */
  byeFromEngine(dialog: Dialog, reasonText: string, cdrReason = 'system-initiated-termination'): void {
    const reason = `SIP ;cause=200 ;text="${reasonText}"`;
    const branch = this.core.ids.branch();
    const request = buildInDialogRequest(dialog, undefined, 'BYE', branch);
    request.headers.push(['Reason', reason]);
    request.invalidate();
    const out = new OutboundRequest(this.core.ids.uuid(), undefined, dialog.id, dialog, false);
    this.startClient(undefined, undefined, out, request, dialog.flow, branch);
    const text = out.txn.bytes.toString('utf8');
    this.endDialog(dialog);
    const app = dialog.app;
    if (app?.isOpen) {
      this.core.deliver(app, 'application', dialog.flow, 'unsolicited', dialog.id, text);
    }
    this.core.cdr('cdr:stop', 'application', [cdrReason], text);
  }

  // ------------------------------------------------------------ session timers (RFC 4028, research §7.11)

  /** A 2xx to an INVITE the app sent: remember our SDP and arm what the 2xx negotiated. */
  private sessionAfterOur2xx(out: OutboundRequest, response: SipResponse): void {
    const request = out.txn.request;
    const dialog =
      out.dialog ?? this.core.dialogs.find(request.callId, request.from.tag ?? '', response.to.tag ?? '');
    if (!dialog) return;
    if (request.body.length > 0) dialog.localSdp = request.body;
    const session = readSessionExpires(response);
    if (session) this.armSession(dialog, session, weRefresh(session, false));
  }

  armSession(dialog: Dialog, session: SessionExpires, weAreRefresher: boolean): void {
    armSessionTimer(dialog, session, weAreRefresher, (ms, fn) => this.core.clock.after(ms, fn), {
      refresh: (d, s) => this.refreshSession(d, s),
      expire: (d) => !d.ended && this.byeFromEngine(d, 'Session timer expired', 'session-expired'),
    });
  }

  /** Our refresh: a re-INVITE with the current SDP; the engine ACKs its 2xx itself. */
  private refreshSession(dialog: Dialog, session: SessionExpires): void {
    if (dialog.ended) return;
    if (dialog.outboundInvite || dialog.inboundInvite) {
      // Another offer/answer is in progress: try again later rather than cause glare.
      this.armSession(dialog, session, true);
      return;
    }
    const branch = this.core.ids.branch();
    const request = buildInDialogRequest(dialog, undefined, 'INVITE', branch);
    request.headers.push(
      ['Session-Expires', `${session.seconds};refresher=uac`],
      ['Min-SE', String(MIN_SE_SECONDS)],
    );
    if (dialog.localSdp) {
      request.headers.push(['Content-Type', 'application/sdp']);
      request.body = dialog.localSdp;
    }
    request.invalidate();
    const out = new OutboundRequest(this.core.ids.uuid(), undefined, dialog.id, dialog, false);
    out.onFinal = (response) => {
      if (dialog.ended) return;
      if (response.status >= 200 && response.status < 300) {
        const ack = serializeMessage(
          buildInDialogRequest(dialog, undefined, 'ACK', this.core.ids.branch(), request.cseq.seq),
        );
        dialog.lastAck = ack;
        this.core.sendQuietly(dialog.flow, ack);
        const agreed = readSessionExpires(response) ?? session;
        this.armSession(dialog, agreed, weRefresh(agreed, false));
      } else if (response.status === 491) {
        this.armSession(dialog, session, true);
      } else {
        this.byeFromEngine(dialog, 'Session refresh failed');
      }
    };
    dialog.outboundInvite = out;
    this.startClient(undefined, undefined, out, request, dialog.flow, branch);
  }
}
