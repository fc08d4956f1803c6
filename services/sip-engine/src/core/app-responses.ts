// The app answers a request it was given (research §7.2): response building, dialog creation on 2xx.
import { buildResponse, serializeMessage, type SipRequest, type SipResponse } from '@callctl/sip';
import type { AppConnection } from '../admin/connection.js';
import { isSipsUri, sentBy, localContactUri } from './addressing.js';
import { contentTypeFor, sortAppHeaders, safeTag } from './app-sip.js';
import { Dialog, wireDialogId } from './dialog.js';
import type { AppRequests } from './app-requests.js';
import type { CoreContext } from './core-context.js';
import { MIN_SE_SECONDS, readSessionExpires, weRefresh, type SessionExpires } from './session-timer.js';
import { NOK, type InboundRequest, type SipFrame } from './pending-requests.js';

export class AppResponses {
  constructor(
    private readonly core: CoreContext,
    private readonly requests: AppRequests,
  ) {}

  /** §7.2: the app answers a request it was given. */
  appResponse(conn: AppConnection, frame: SipFrame, appResponse: SipResponse): void {
    let req = this.core.inbound.get(frame.txnId);
    // An answer to an early UPDATE comes under the INVITE's txn id: its CSeq method tells (research §7.12).
    if (req?.pendingUpdate && cseqMethod(appResponse) === 'UPDATE') req = req.pendingUpdate;
    if (!req || req.app !== conn || req.cancelled || req.txn.final) {
      return conn.respond(frame.msgId, 'NOK', [NOK.unknownTxn]);
    }
    const built = this.build(req, appResponse);
    if (typeof built === 'string') return conn.respond(frame.msgId, 'NOK', [built]);
    const { response, reliable } = built;
    const bytes = serializeMessage(response);
    this.updateDialogs(conn, req, built);
    const text = bytes.toString('utf8');
    // §2.4: the echo goes out before anything the sent message can cause.
    this.core.echo(conn, frame.msgId, req.txn.flow, bytes, frame.txnId, req.dialogId);
    req.txn.respond(response, bytes);
    // The app has taken the request on: an INVITE may now ring as long as the app keeps it ringing, but a
    // final answer must come within Timer C of the last provisional, or the entry would be kept for ever.
    req.answerTimer?.cancel();
    req.answerTimer =
      response.status < 200
        ? this.core.clock.after(this.core.timerCMs, () => {
            if (!req.txn.final && !req.txn.terminated)
              this.core.respondFor(req, 480, 'No final answer from application');
          })
        : undefined;
    if (reliable) this.resendReliable(req, req.rseq, bytes, this.core.timers.t1Ms, 0);
    if (response.status >= 200) {
      this.core.forgetInbound(req);
      this.core.registeredFlows.learn(req.txn.request, response, req.txn.flow);
      if (req.creating && response.cseq.method === 'INVITE') {
        if (response.status < 300) this.core.cdr('cdr:start', 'application', ['uas'], text);
        else this.core.cdr('cdr:stop', 'application', ['call-rejected'], text);
      }
    }
  }

  /**
   * The response as it goes out: Via/From/To/Call-ID/CSeq from the request, the app's other headers (§7.10),
   * and what the engine adds (To tag, Record-Route, Contact, RSeq, Session-Expires, Content-Type). A string
   * is the reason it cannot be sent.
   */
  private build(req: InboundRequest, appResponse: SipResponse): BuiltResponse | string {
    const request = req.txn.request;
    const status = appResponse.status;
    const method = request.method;
    const transport = req.txn.flow.transport;
    const headers = sortAppHeaders(appResponse, sentBy(transport), true);
    if (req.creating && req.localTag === undefined) {
      const appTag = headers.to === undefined ? undefined : safeTag(headers.to);
      req.localTag = appTag ?? this.core.ids.tag();
      req.dialogId = wireDialogId(request.callId, request.from.tag ?? '');
    }
    const extra: Array<[string, string]> = [];
    if (req.creating && status > 100 && status < 300) {
      for (const rr of request.getAll('Record-Route')) extra.push(['Record-Route', rr]);
    }
    // A 1xx the app marks `Require: 100rel` is sent reliably (RFC 3262, research §7.2).
    const reliable =
      req.creating && method === 'INVITE' && status > 100 && status < 200 && requires100rel(headers.other);
    if (reliable && !offers100rel(request)) return 'Remote endpoint does not support 100rel';
    if (reliable) {
      req.rseq = req.rseq === 0 ? 1 + Math.floor(this.core.ids.cseq() % 10_000) : req.rseq + 1;
      extra.push(['RSeq', String(req.rseq)]);
    }
    const dialogForming = method === 'INVITE' || method === 'SUBSCRIBE';
    const wantsContact = dialogForming && (req.creating ? (status >= 200 && status < 300) || reliable : true);
    const contact =
      headers.contact ??
      (wantsContact
        ? `<${req.dialog?.localContact ?? localContactUri(transport, startsSips(request))}>`
        : undefined);
    extra.push(...headers.other);
    if (contact !== undefined) extra.push(['Contact', contact]);
    const refreshes = status >= 200 && status < 300 && (method === 'INVITE' || method === 'UPDATE');
    const session = refreshes ? this.negotiateSession(request, appResponse) : undefined;
    if (session?.announce)
      extra.push(['Session-Expires', `${session.seconds};refresher=${session.refresher}`]);
    const body = appResponse.body;
    const contentType = contentTypeFor(body, headers.contentType);
    const response = buildResponse(request, status, appResponse.reason, {
      toTag: status > 100 ? this.core.localTagFor(req) : undefined,
      headers: extra,
      body,
      contentType: body.length > 0 ? contentType : undefined,
    });
    return { response, reliable, refreshes, session };
  }

  /** Dialog state the response creates or changes (early/confirmed dialogs, target refresh, timers). */
  private updateDialogs(conn: AppConnection, req: InboundRequest, built: BuiltResponse): void {
    const { response, reliable, refreshes, session } = built;
    const status = response.status;
    const invite = req.txn.request.method === 'INVITE';
    if (req.creating && invite && status > 100 && status < 200) {
      this.core.earlyInvites.set(req.dialogId, req);
      if (reliable && !req.dialog) this.createUasDialog(conn, req, response, true);
    }
    if (status >= 200) this.stopReliable(req);
    if (status >= 300) this.core.dropEarlyDialog(req);
    if (status >= 200 && status < 300) {
      if (req.creating) {
        this.createUasDialog(conn, req, response, false);
      } else if (invite && req.dialog) {
        // A re-INVITE answered 2xx: its ACK is awaited, and its Contact is the new remote target.
        req.dialog.awaitingAck = req;
        const target = req.txn.request.contacts[0];
        if (target && !target.star) req.dialog.remoteTarget = target.uri;
      }
    }
    if (status >= 200 && req.dialog?.inboundInvite === req) req.dialog.inboundInvite = undefined;
    if (refreshes && req.dialog && !req.dialog.early)
      this.sessionAfterTheir2xx(req.dialog, response, session);
  }

  private createUasDialog(
    conn: AppConnection,
    req: InboundRequest,
    response: SipResponse,
    early: boolean,
  ): void {
    const request = req.txn.request;
    const transport = req.txn.flow.transport;
    const invite = request.method === 'INVITE';
    if (req.dialog?.early && !early) {
      // The 2xx confirms the early dialog a reliable provisional made.
      req.dialog.early = false;
      req.dialog.earlyInvite = undefined;
      if (invite) req.dialog.awaitingAck = req;
      return;
    }
    const contact = request.contacts[0];
    const routeSet = request.getAll('Record-Route');
    const localContact = response.contacts[0]?.uri ?? localContactUri(transport, startsSips(request));
    const dialog = new Dialog({
      role: 'uas',
      usage: invite ? 'invite' : 'subscribe',
      callId: request.callId,
      localTag: this.core.localTagFor(req),
      remoteTag: request.from.tag ?? '',
      local: response.get('To')!,
      remote: request.get('From')!,
      localSeq: request.cseq.seq,
      remoteSeq: request.cseq.seq,
      remoteTarget: contact && !contact.star ? contact.uri : request.uri,
      routeSet,
      localContact,
      ...this.core.dialogFlow(req.txn.flow, routeSet, contact && !contact.star ? contact.uri : undefined, {
        role: 'uas',
        method: request.method,
      }),
      app: conn,
      inviteSeq: request.cseq.seq,
    });
    if (early) {
      dialog.early = true;
      dialog.earlyInvite = req;
    } else if (invite) {
      dialog.awaitingAck = req;
    }
    req.dialog = dialog;
    this.core.dialogs.add(dialog);
  }

  /** Resends a reliable provisional (T1 doubling) until PRACKed, answered finally, or 64*T1 passed. */
  private resendReliable(
    req: InboundRequest,
    rseq: number,
    bytes: Buffer,
    intervalMs: number,
    spentMs: number,
  ): void {
    if (req.reliable?.timer) req.reliable.timer.cancel();
    if (spentMs >= 64 * this.core.timers.t1Ms || req.txn.flow.transport.reliable) {
      req.reliable = { rseq, timer: undefined };
      return;
    }
    const timer = this.core.clock.after(intervalMs, () => {
      if (req.reliable?.rseq !== rseq || req.txn.final || req.txn.terminated) return;
      this.core.sendQuietly(req.txn.flow, bytes);
      this.resendReliable(
        req,
        rseq,
        bytes,
        Math.min(2 * intervalMs, this.core.timers.t2Ms),
        spentMs + intervalMs,
      );
    });
    req.reliable = { rseq, timer };
  }

  private stopReliable(req: InboundRequest): void {
    req.reliable?.timer?.cancel();
    req.reliable = undefined;
  }

  /**
   * Session timer for our 2xx (research §7.11): the app's own Session-Expires wins; else the caller's, when
   * it names a refresher (then we announce it in the 2xx). Without either no timer (default refresher none).
   */
  private negotiateSession(
    request: SipRequest,
    appResponse: SipResponse,
  ): (SessionExpires & { announce: boolean }) | undefined {
    const fromApp = readSessionExpires(appResponse);
    if (fromApp) return { ...fromApp, seconds: Math.max(MIN_SE_SECONDS, fromApp.seconds), announce: false };
    const asked = readSessionExpires(request);
    if (asked?.refresher)
      return { ...asked, seconds: Math.max(MIN_SE_SECONDS, asked.seconds), announce: true };
    return undefined;
  }

  private sessionAfterTheir2xx(
    dialog: Dialog,
    response: SipResponse,
    session: SessionExpires | undefined,
  ): void {
    if (response.body.length > 0 && response.cseq.method === 'INVITE') dialog.localSdp = response.body;
    if (session) this.requests.armSession(dialog, session, weRefresh(session, true));
    else if (dialog.session) {
      // A refresh from them without new terms: the same timer starts again.
      this.requests.armSession(
        dialog,
        { seconds: dialog.session.seconds, refresher: undefined },
        dialog.session.weRefresh,
      );
    }
  }
}

function requires100rel(headers: Array<[string, string]>): boolean {
  return headers.some(([name, value]) => name === 'Require' && /(^|[\s,])100rel($|[\s,])/i.test(value));
}

function offers100rel(request: SipRequest): boolean {
  return [...request.getAll('Supported'), ...request.getAll('Require')].some(
    (tag) => tag.toLowerCase() === '100rel',
  );
}

function cseqMethod(message: SipResponse): string | undefined {
  const value = message.get('CSeq');
  return value === undefined ? undefined : value.trim().split(/\s+/)[1];
}

interface BuiltResponse {
  response: SipResponse;
  /** A 1xx sent reliably (RFC 3262). */
  reliable: boolean;
  /** A 2xx to INVITE or UPDATE: it (re)starts the session timer. */
  refreshes: boolean;
  session: (SessionExpires & { announce: boolean }) | undefined;
}

/** RFC 3261 §12.1.1: a SIPS Request-URI or top Record-Route makes the dialog's Contacts SIPS. */
function startsSips(request: SipRequest): boolean {
  return isSipsUri(request.uri) || isSipsUri(request.getAll('Record-Route')[0]);
}
