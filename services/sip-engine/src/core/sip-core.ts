// The engine core: joins SIP traffic (transactions, dialogs) to the apps on the admin channel, behaving as
// drachtio-server does towards drachtio-srf (research §7). The front door calls onRequest/onResponse; the
// admin server calls the AppSipHandler methods. The work is done by three parts sharing one CoreContext.
import { isSipParseError, SipRequest, type SipResponse } from '@callctl/sip';
import type { AppMessage } from '../admin/codec.js';
import type { AppSipHandler } from '../admin/admin-server.js';
import type { AppConnection } from '../admin/connection.js';
import type { Inbound } from '../transport/transport.js';
import { parseAppSip } from './app-sip.js';
import { type DialogTable } from './dialog.js';
import { CoreContext, type SipCoreOptions } from './core-context.js';
import { NetworkRequests } from './network-requests.js';
import { AppResponses } from './app-responses.js';
import { AppRequests } from './app-requests.js';
import { ProxyCore } from './proxy.js';
import type { SipFrame } from './pending-requests.js';

export class SipCore implements AppSipHandler {
  private readonly core: CoreContext;
  private readonly network: NetworkRequests;
  private readonly responses: AppResponses;
  private readonly requests: AppRequests;
  private readonly proxy: ProxyCore;

  constructor(options: SipCoreOptions) {
    this.core = new CoreContext(options);
    this.proxy = new ProxyCore(this.core);
    this.requests = new AppRequests(this.core, this.proxy);
    this.responses = new AppResponses(this.core, this.requests);
    this.network = new NetworkRequests(this.core, this.requests, this.proxy);
  }

  get dialogs(): DialogTable {
    return this.core.dialogs;
  }

  onRequest(request: SipRequest, inbound: Inbound): void {
    this.network.onRequest(request, inbound);
  }

  onResponse(response: SipResponse, inbound: Inbound): void {
    this.requests.onResponse(response, inbound);
  }

  /** Table sizes, for tests and leak checks: every entry must go when its transaction or dialog ends. */
  get stats(): Record<string, number> {
    return {
      servers: this.core.servers.size,
      inbound: this.core.inbound.size,
      invitesByBranch: this.core.invitesByBranch.size,
      merged: this.core.merged.size,
      clients: this.core.clients.size,
      appInvites: this.core.appInvites.size,
      earlyInvites: this.core.earlyInvites.size,
      endedForks: this.core.endedForks.size,
      dialogs: this.dialogs.size,
      registeredFlows: this.core.registeredFlows.size,
    };
  }

  /** New requests refused with 503 + Retry-After because a table was at its cap (see limits.ts). */
  get shed(): number {
    return this.core.shed;
  }

  /** Stops every transaction timer (engine shutdown). */
  close(): void {
    for (const txn of [...this.core.servers.values()]) txn.terminate();
    for (const out of [...this.core.clients.values()]) out.txn.terminate();
    for (const req of [...this.core.inbound.values()]) this.core.forgetInbound(req);
    for (const fork of this.core.endedForks.values()) fork.timer.cancel();
    this.core.endedForks.clear();
    this.core.registeredFlows.close();
  }

  onAppSip(conn: AppConnection, frame: SipFrame): void {
    let message: SipRequest | SipResponse;
    try {
      message = parseAppSip(frame.sip);
    } catch (err) {
      const reason = isSipParseError(err) ? err.reason : 'unparsable SIP message';
      conn.respond(frame.msgId, 'NOK', [`invalid SIP message: ${reason}`]);
      return;
    }
    if (!(message instanceof SipRequest)) {
      if (!frame.txnId) return conn.respond(frame.msgId, 'NO', ['transaction id missing']);
      return this.responses.appResponse(conn, frame, message);
    }
    if (frame.dialogId) return this.requests.appInDialogRequest(conn, frame, message);
    if (frame.txnId) {
      if (message.method === 'CANCEL') return this.requests.appCancel(conn, frame, message);
      return conn.respond(frame.msgId, 'NOK', [`unsupported: ${message.method} with a transaction id`]);
    }
    this.requests.appNewRequest(conn, frame, message);
  }

  onAppProxy(conn: AppConnection, message: Extract<AppMessage, { type: 'proxy' }>): void {
    this.proxy.proxy(conn, message);
  }

  onAppClosed(conn: AppConnection): void {
    // Dialogs stay up on the SIP side (research §7.8); new requests waiting for this app are answered now
    // rather than left to time out.
    for (const req of [...this.core.inbound.values()]) {
      if (req.app === conn && !req.txn.final && !req.dialog)
        this.core.respondFor(req, 480, 'Application disconnected');
    }
  }
}
