// The part of drachtio-srf sip-edge uses, typed here because the package's bundled declarations are loose
// and partly wrong (research/drachtio-protocol.md §10, pitfall 25). adapters/srf hands the real Srf in
// under this shape; nothing else in the service touches srf directly.

export interface SipHeaders {
  [name: string]: string;
}

/** A SIP request as srf gives it to handlers (and as it echoes a request it sent). */
export interface SipRequest {
  readonly method: string;
  readonly uri: string;
  readonly body: string;
  /** Every header by lower-case name. */
  readonly headers: Readonly<Record<string, unknown>>;
  get(name: string): string | undefined;
  has(name: string): boolean;
  on(event: 'cancel', listener: () => void): void;
}

/** A request from the network, with the flow it came on (the NAT's public side: received/rport). */
export interface ReceivedRequest extends SipRequest {
  readonly source_address: string;
  readonly source_port: number;
  /** udp, tcp, tls, ws or wss. */
  readonly protocol: string;
}

/** A request srf sent for us (createUAC's cbRequest): it can still be cancelled. */
export interface SentRequest extends SipRequest {
  cancel(options?: { headers?: SipHeaders }): void;
}

/** A response srf received (a provisional, or the final of a failed createUAC). */
export interface SipResponseMessage {
  readonly status: number;
  readonly reason: string;
  readonly body: string;
  get(name: string): string | undefined;
  has(name: string): boolean;
}

/** The server side of an incoming request: sends its responses. */
export interface SipResponder {
  readonly finalResponseSent: boolean;
  send(
    status: number,
    reason: string | undefined,
    options: { headers?: SipHeaders; body?: string },
    callback: (error: Error | null | undefined) => void,
  ): void;
}

/** An established INVITE dialog. */
export interface SipDialog {
  readonly id: string;
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  /** srf answers later offerless re-INVITEs with local.sdp, so it is kept current. */
  readonly local: { sdp: string; uri: string };
  readonly remote: { sdp: string; uri: string };
  on(event: 'destroy', listener: (message: unknown, reason?: string) => void): this;
  on(event: 'info', listener: (request: SipRequest, response: SipResponder) => void): this;
  /**
   * A REFER or NOTIFY on the dialog. Without a listener srf answers either with 200 by itself (a REFER
   * too, which promises a transfer nobody performs), so every dialog sip-edge holds listens.
   */
  on(event: 'refer' | 'notify', listener: (request: SipRequest, response: SipResponder) => void): this;
  /** A re-INVITE (srf sends it here, rather than answering with the old SDP, once a listener exists). */
  on(event: 'modify', listener: (request: SipRequest, response: SipResponder) => void): this;
  destroy(options?: { headers?: SipHeaders }): Promise<unknown>;
  /**
   * An in-dialog request (the engine sends it by the dialog's id: route set, tags, next CSeq); resolves with
   * its final response (the engine's own 408 when Timer F fired). A BYE sent this way ends the dialog in srf
   * once answered; unlike destroy, its status is seen.
   */
  request(options: {
    method: 'BYE' | 'INFO' | 'NOTIFY';
    headers?: SipHeaders;
    body?: string;
  }): Promise<SipResponseMessage>;
  /**
   * The same, with `callback` called for every response, provisional ones too (the promise form settles
   * with the first response, which for a non-INVITE can be a 1xx).
   */
  request(
    options: { method: 'INFO' | 'REFER' | 'NOTIFY'; headers?: SipHeaders; body?: string },
    callback: (error: Error | null | undefined, response: SipResponseMessage) => void,
  ): this;
  /**
   * A re-INVITE with our new offer; resolves with the far end's answer, rejects with a SipFailure. `headers`
   * (a Content-Type for a multipart body) replace srf's default Contact-only set, so they carry the Contact.
   */
  modify(sdp: string, options?: { headers?: SipHeaders }): Promise<string>;
  /**
   * A re-INVITE without SDP (`noAck`): the far end offers in its 200, and the ACK, sent by `ack`, carries
   * our answer. srf clears `local.sdp` for it; the caller sets it again.
   */
  modify(options: { noAck: true }): Promise<OfferlessReInvite>;
}

/** The 200 to an offerless re-INVITE: the far end's offer, waiting for our answer in the ACK. */
export interface OfferlessReInvite {
  readonly sdp: string;
  ack(answerSdp: string): void;
}

/** createUAC without an SDP (late offer, `noAck`): the far end's offer came in its 2xx. */
export interface LateOffer {
  readonly sdp: string;
  readonly res: SipResponseMessage;
  ack(localSdp: string): Promise<SipDialog>;
  destroy(): Promise<void>;
}

/** The result of createUAC: a dialog (the INVITE carried an offer), or the far end's late offer. */
export function isDialog(value: SipDialog | LateOffer): value is SipDialog {
  return typeof (value as SipDialog).id === 'string';
}

/** srf's SipError: a non-2xx final response to createUAC, or 487 to createUAS after a CANCEL. */
export interface SipFailure extends Error {
  status: number;
  reason: string;
  /** The final response itself (createUAC's failures): its challenge headers for a 401/407. */
  res?: SipResponseMessage;
}

export function isSipFailure(error: unknown): error is SipFailure {
  return (
    error instanceof Error && error.name === 'SipError' && typeof (error as SipFailure).status === 'number'
  );
}

export interface UacCallbacks {
  cbRequest(error: Error | null | undefined, request: SentRequest): void;
  cbProvisional(response: SipResponseMessage): void;
}

export interface UacOptions {
  headers?: SipHeaders;
  localSdp?: string;
  noAck?: boolean;
  callingNumber?: string;
  /** Next hop other than the Request-URI's host (`sip:<address>:<port>;transport=<t>`): a device's flow. */
  proxy?: string;
}

/** The Srf instance, as sip-edge uses it. */
export interface SipStack {
  invite(handler: (request: ReceivedRequest, response: SipResponder) => void): void;
  /** REGISTERs (the registrar); without a handler the engine answers them itself. */
  register(handler: (request: ReceivedRequest, response: SipResponder) => void): void;
  /**
   * REFERs no dialog of srf's took: out of dialog (drachtio-server may route them) or in a dialog srf no
   * longer holds. Without a handler srf answers them 404.
   */
  refer(handler: (request: SipRequest, response: SipResponder) => void): void;
  createUAS(
    request: SipRequest,
    response: SipResponder,
    options: { localSdp: string; headers?: SipHeaders },
  ): Promise<SipDialog>;
  createUAC(uri: string, options: UacOptions, callbacks: UacCallbacks): Promise<SipDialog | LateOffer>;
  /**
   * The engine's own SIP URI for `protocol` (`sip:host:port`, `;transport=` when not UDP), as it announced its
   * listeners; undefined before it connected or when it has no such listener. For Contacts sip-edge writes
   * itself (a recording session's `+sip.src`).
   */
  contactUri(protocol: SipContactTransport): string | undefined;
  /**
   * An out-of-dialog non-INVITE request (REGISTER to a provider), with the From, To, Call-ID, CSeq and Contact
   * given in `headers`; resolves with its final response (the engine's own 408 when Timer F fired).
   */
  sendRequest(uri: string, options: { method: string; headers: SipHeaders }): Promise<SipResponseMessage>;
  /** An in-dialog request by the engine's dialog id (used for dialogs srf no longer holds). */
  request(options: {
    method: string;
    stackDialogId: string;
    uri?: string;
    headers?: SipHeaders;
  }): Promise<unknown>;
}

/** The engine's listener kinds sip-edge can name in a Contact of its own. */
export type SipContactTransport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/**
 * An outbound INVITE as the leg sees it: one createUAC, or several behind one face (a trunk's gateways one
 * after the other, a user's contacts in parallel). `cbRequest` is called for each INVITE that leaves.
 */
export type Dialler = (options: UacOptions, callbacks: UacCallbacks) => Promise<SipDialog | LateOffer>;
