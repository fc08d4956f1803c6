// Stateful proxying for `srf.proxyRequest` (research §3.6, §7.9) and the stateless forwarding of requests
// and responses in dialogs the engine record-routed.
import { createHash } from 'node:crypto';
import { buildCancel, buildResponse, serializeMessage, SipRequest, type SipResponse } from '@callctl/sip';
import type { AppMessage } from '../admin/codec.js';
import { timeOfDay } from '../admin/codec.js';
import type { AppConnection } from '../admin/connection.js';
import type { Inbound } from '../transport/transport.js';
import {
  isSipsUri,
  sentBy,
  targetOfUri,
  uriOfAddress,
  viaTransport,
  type Flow,
  type Target,
} from './addressing.js';
import { parseAppSip, sortAppHeaders } from './app-sip.js';
import type { CoreContext } from './core-context.js';
import { OutboundRequest, type InboundRequest } from './pending-requests.js';
import type { Timer } from './runtime.js';
import { ClientTransaction } from './transaction-shell.js';

type ProxyFrame = Extract<AppMessage, { type: 'proxy' }>;

export interface ProxyCommand {
  txnId: string;
  recordRoute: boolean;
  followRedirects: boolean;
  simultaneous: boolean;
  /** A target that has not answered at all within this is abandoned for the next one. */
  provisionalTimeoutMs: number | undefined;
  destinations: string[];
  /** Headers the app wants added to every forwarded copy. */
  extraHeaders: Array<[string, string]>;
}

/** `"2s"`, `"1500ms"` or `"2"` (seconds); empty or unreadable: none. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)(ms|s)?$/.exec(text.trim());
  if (!match) return undefined;
  return match[2] === 'ms' ? Number(match[1]) : Number(match[1]) * 1000;
}

/** Reads the `proxy` frame's tokens: txnId, remainInDialog, fullResponse, followRedirects, mode, timeouts, destinations. */
export function parseProxyCommand(frame: ProxyFrame): ProxyCommand {
  const [txnId = '', remainInDialog = '', , followRedirects = '', mode = '', provisional = '', , ...dests] =
    frame.tokens;
  let extraHeaders: Array<[string, string]> = [];
  if (frame.sip) {
    try {
      extraHeaders = sortAppHeaders(parseAppSip(frame.sip), '', true).other;
    } catch {
      extraHeaders = [];
    }
  }
  return {
    txnId,
    recordRoute: remainInDialog === 'remainInDialog',
    followRedirects: followRedirects === 'followRedirects',
    simultaneous: mode === 'simultaneous',
    provisionalTimeoutMs: parseDuration(provisional),
    destinations: dests.filter((d) => d.length > 0),
    extraHeaders,
  };
}

/** RFC 3261 16.7 step 6 ranking of stored final responses: 6xx, then challenges and fixable 4xx, then the rest. */
export function bestResponse(responses: SipResponse[]): SipResponse | undefined {
  const rank = (status: number): number => {
    if (status >= 600) return 0;
    if ([401, 407, 415, 420, 484].includes(status)) return 1;
    if (status >= 400 && status < 500) return 2;
    if (status >= 500) return 3;
    return 4;
  };
  return [...responses].sort((a, b) => rank(a.status) - rank(b.status))[0];
}

interface Branch {
  out: OutboundRequest;
  answered: boolean;
  abandoned: boolean;
  timer: Timer | undefined;
}

/** One proxied request: its branches, the stored final responses and the app waiting for `done`. */
class ProxyRun {
  readonly pending: string[];
  readonly branches: Branch[] = [];
  readonly finals: SipResponse[] = [];
  finished = false;

  constructor(
    readonly req: InboundRequest,
    readonly command: ProxyCommand,
    readonly conn: AppConnection,
    readonly msgId: string,
  ) {
    this.pending = [...command.destinations];
  }
}

export class ProxyCore {
  private readonly runs = new WeakMap<InboundRequest, ProxyRun>();

  constructor(private readonly core: CoreContext) {}

  /** `srf.proxyRequest`: takes over a request the app has not answered. */
  proxy(conn: AppConnection, frame: ProxyFrame): void {
    const command = parseProxyCommand(frame);
    const req = this.core.inbound.get(command.txnId);
    if (!req || req.app !== conn || req.txn.final || req.localTag !== undefined) {
      return conn.respond(frame.msgId, 'NOK', [`Unknown transaction id: ${command.txnId}`]);
    }
    if (command.destinations.length === 0) return conn.respond(frame.msgId, 'NOK', ['no destination']);
    if (req.txn.request.maxForwards === 0) {
      this.core.respondFor(req, 483, 'Too Many Hops');
      return conn.respond(frame.msgId, 'NOK', ['483 Too Many Hops']);
    }
    // From now on the app cannot answer it; the proxy does.
    this.core.inbound.delete(req.txnId);
    req.answerTimer?.cancel();
    req.txn.proxied = true;
    const run = new ProxyRun(req, command, conn, frame.msgId);
    this.runs.set(req, run);
    if (command.simultaneous) while (run.pending.length > 0) this.startNext(run);
    else this.startNext(run);
  }

  /** True when a request was proxied: a CANCEL for it is handled here. */
  isProxied(req: InboundRequest): boolean {
    return this.runs.has(req);
  }

  /** CANCEL from upstream: CANCEL every branch still going; the caller gets 487 (research §7.9). */
  cancelFromUpstream(req: InboundRequest): void {
    const run = this.runs.get(req);
    if (!run || run.finished) return;
    run.pending.length = 0;
    for (const branch of run.branches) this.cancelBranch(branch);
    this.finish(
      run,
      buildResponse(req.txn.request, 487, 'Request Terminated', { toTag: this.core.ids.tag() }),
    );
  }

  private startNext(run: ProxyRun): void {
    const destination = run.pending.shift();
    if (destination === undefined) return;
    let target: Target;
    try {
      target = targetOfUri(destination);
    } catch {
      this.branchFailed(run, undefined, buildResponse(run.req.txn.request, 400, 'Bad destination'));
      return;
    }
    const transport = this.core.transportFor(target.protocol, target.peer);
    if (!transport) {
      this.branchFailed(
        run,
        undefined,
        buildResponse(run.req.txn.request, 503, 'No transport for destination'),
      );
      return;
    }
    const incoming = run.req.txn.request;
    // RFC 3261 16.6: a copy with the Request-URI kept unless it names us, Max-Forwards down, our Via on top.
    let uri = incoming.uri;
    try {
      if (this.core.isSelf(targetOfUri(uri))) uri = destination;
    } catch {
      uri = destination;
    }
    const headers = incoming.headers
      .filter(([name]) => !/^route$/i.test(name))
      .map((h): [string, string] => [h[0], h[1]]);
    const copy = new SipRequest(incoming.method, uri, headers, incoming.body);
    copy.set('Max-Forwards', String(Math.max(0, (incoming.maxForwards ?? 70) - 1)));
    const branchId = this.core.ids.branch();
    copy.prepend('Via', `SIP/2.0/${viaTransport(transport)} ${sentBy(transport)};rport;branch=${branchId}`);
    if (run.command.recordRoute) {
      // A SIPS request keeps a SIPS route (RFC 3261 §16.6 step 4); over TLS the scheme says the transport.
      const sips = transport.protocol === 'tls' && isSipsUri(uri);
      const scheme = sips ? 'sips' : 'sip';
      const suffix = transport.protocol === 'udp' || sips ? '' : `;transport=${transport.protocol}`;
      // A REGISTER is not a dialog: the proxy stays on the path with Path (RFC 3327) instead.
      if (copy.method === 'REGISTER') {
        copy.prepend('Path', `<${scheme}:${sentBy(transport)}${suffix};lr>`);
        copy.append('Require', 'path');
      } else {
        copy.prepend('Record-Route', `<${scheme}:${sentBy(transport)}${suffix};lr>`);
      }
    }
    for (const [name, value] of run.command.extraHeaders) copy.append(name, value);
    const flow: Flow = { transport, remote: target.peer };
    const key = `${branchId}|${copy.method}`;
    const out = new OutboundRequest(this.core.ids.uuid(), undefined, '', undefined, false);
    const branch: Branch = { out, answered: false, abandoned: false, timer: undefined };
    out.txn = new ClientTransaction(this.core.txnContext, copy, serializeMessage(copy), flow, key, {
      onResponse: (_t, response) => this.branchResponse(run, branch, response),
      onFailure: (_t, status) =>
        this.branchFailed(
          run,
          branch,
          buildResponse(copy, status, status === 408 ? 'Request Timeout' : 'Service Unavailable'),
        ),
      onTerminated: () => {
        branch.timer?.cancel();
        if (this.core.clients.get(key) === out) this.core.clients.delete(key);
      },
    });
    run.branches.push(branch);
    this.core.clients.set(key, out);
    out.txn.start();
    if (run.command.provisionalTimeoutMs !== undefined && !run.command.simultaneous) {
      branch.timer = this.core.clock.after(run.command.provisionalTimeoutMs, () => {
        if (branch.answered || out.txn.status >= 200) return;
        branch.abandoned = true;
        this.startNext(run);
        if (run.pending.length === 0 && !this.anyLive(run)) this.finishWithBest(run);
      });
    }
  }

  private branchResponse(run: ProxyRun, branch: Branch, response: SipResponse): void {
    branch.answered = true;
    if (branch.abandoned) {
      // Answered after we moved on: end it.
      if (response.status < 200) this.cancelBranch(branch);
      return;
    }
    if (response.status === 100 || run.finished) return;
    if (response.status < 200) {
      this.sendUpstream(run, response);
      return;
    }
    this.reportFinal(run, branch, response);
    if (response.status < 300) {
      run.pending.length = 0;
      for (const other of run.branches) if (other !== branch) this.cancelBranch(other);
      this.sendUpstream(run, response);
      this.done(run);
      return;
    }
    this.branchFailed(run, branch, response);
  }

  private branchFailed(run: ProxyRun, branch: Branch | undefined, response: SipResponse): void {
    if (branch?.abandoned || run.finished) return;
    run.finals.push(response);
    if (response.status >= 300 && response.status < 400 && run.command.followRedirects) {
      const contacts = response.contacts.filter((c) => !c.star).map((c) => c.uri);
      run.pending.unshift(...contacts);
    }
    // A challenge stops the search: the caller must answer it (research §7.9).
    const challenge = response.status === 401 || response.status === 407;
    if (challenge) run.pending.length = 0;
    if (run.pending.length > 0 && !run.command.simultaneous) return this.startNext(run);
    if (!this.anyLive(run)) this.finishWithBest(run);
  }

  private anyLive(run: ProxyRun): boolean {
    return run.branches.some((b) => !b.abandoned && b.out.txn.status < 200 && !b.out.txn.terminated);
  }

  private finishWithBest(run: ProxyRun): void {
    const best = bestResponse(run.finals) ?? buildResponse(run.req.txn.request, 408, 'Request Timeout');
    this.finish(run, best);
  }

  private finish(run: ProxyRun, response: SipResponse): void {
    if (run.finished) return;
    this.sendUpstream(run, response);
    this.done(run);
  }

  private done(run: ProxyRun): void {
    run.finished = true;
    for (const branch of run.branches) branch.timer?.cancel();
    run.conn.respond(run.msgId, 'OK', ['done']);
  }

  /** One `continue` frame per final response from a target (srf collects them into `responses`). */
  private reportFinal(run: ProxyRun, branch: Branch, response: SipResponse): void {
    const text = serializeMessage(response).toString('utf8');
    const flow = this.core.lastResponseSource.get(branch.out) ?? branch.out.txn.flow;
    run.conn.respond(
      run.msgId,
      'OK',
      [
        'network',
        String(Buffer.byteLength(text)),
        flow.transport.protocol,
        flow.remote.address,
        String(flow.remote.port),
        timeOfDay(this.core.clock.now()),
        '',
        '',
        'continue',
      ],
      text,
    );
  }

  /** Passes a response up: our Via off, through the server transaction (which sends it to the caller). */
  private sendUpstream(run: ProxyRun, response: SipResponse): void {
    if (response.vias.length > 1) response.removeTopVia();
    run.req.txn.respond(response, serializeMessage(response));
  }

  private cancelBranch(branch: Branch): void {
    const txn = branch.out.txn;
    if (!txn.invite || txn.status >= 200 || txn.terminated || branch.out.cancelled) return;
    branch.out.cancelled = true;
    if (txn.status < 100) return; // nothing heard yet: no CANCEL may be sent (RFC 3261 9.1); timer B ends it
    const cancel = buildCancel(txn.request);
    const key = `${txn.request.topVia.branch ?? ''}|CANCEL`;
    const holder = new OutboundRequest(this.core.ids.uuid(), undefined, '', undefined, false);
    holder.txn = new ClientTransaction(
      this.core.txnContext,
      cancel,
      serializeMessage(cancel),
      txn.flow,
      key,
      {
        onResponse: () => undefined,
        onFailure: () => undefined,
        onTerminated: () => this.core.clients.get(key) === holder && this.core.clients.delete(key),
      },
    );
    this.core.clients.set(key, holder);
    holder.txn.start();
  }

  // ------------------------------------------------------------ stateless forwarding (record-routed dialogs)

  /** A request whose top Route names us (we record-routed its dialog as a proxy). */
  routedThroughUs(request: SipRequest): boolean {
    const route = request.get('Route');
    if (route === undefined) return false;
    try {
      return this.core.isSelf(targetOfUri(uriOfAddress(request.getAll('Route')[0]!)));
    } catch {
      return false;
    }
  }

  /** RFC 3261 16.11-style stateless forwarding: pop our Route, Max-Forwards down, our Via, next hop. */
  forwardRequest(request: SipRequest, inbound: Inbound): void {
    const routes = request.getAll('Route').slice(1);
    request.remove('Route');
    for (const route of routes) request.append('Route', route);
    const maxForwards = request.maxForwards ?? 70;
    if (maxForwards === 0) return; // dropped; a stateless element keeps no state to answer it
    request.set('Max-Forwards', String(maxForwards - 1));
    let target: Target;
    try {
      target = targetOfUri(routes[0] !== undefined ? uriOfAddress(routes[0]) : request.uri);
    } catch (err) {
      this.core.log.debug({ err }, 'cannot forward record-routed request');
      return;
    }
    const transport = this.core.transportFor(target.protocol, target.peer) ?? inbound.transport;
    // The same branch for retransmissions of the same request (RFC 3261 16.11).
    const seed = `${request.topVia.branch ?? ''}|${sentBy(transport)}|${request.method}`;
    const branch = `z9hG4bK${createHash('sha1').update(seed).digest('base64url').slice(0, 22)}`;
    request.prepend('Via', `SIP/2.0/${viaTransport(transport)} ${sentBy(transport)};rport;branch=${branch}`);
    this.core.sendQuietly({ transport, remote: target.peer }, serializeMessage(request));
  }

  /** A response carrying our Via above the sender's: pass it back down the Via path. */
  forwardResponse(response: SipResponse, inbound: Inbound): boolean {
    const vias = response.vias;
    if (vias.length < 2) return false;
    const top = vias[0]!;
    const ours = this.core.options.transports.some((t) => sentBy(t) === `${top.host}:${top.port ?? 5060}`);
    if (!ours) return false;
    response.removeTopVia();
    const next = vias[1]!;
    const remote = {
      address: next.received ?? next.host,
      port: typeof next.rport === 'number' ? next.rport : (next.port ?? 5060),
    };
    const protocol = next.transport.toLowerCase() as Target['protocol'];
    const transport = this.core.transportFor(protocol, remote) ?? inbound.transport;
    this.core.sendQuietly({ transport, remote }, serializeMessage(response));
    return true;
  }
}
