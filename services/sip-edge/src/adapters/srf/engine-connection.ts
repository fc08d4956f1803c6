import Srf from 'drachtio-srf';
import type { Logger } from '@callctl/logging';
import { UnavailableError } from '../../domain/errors.js';
import {
  isDialog,
  type LateOffer,
  type SipContactTransport,
  type SipDialog,
  type SipRequest,
  type SipResponder,
  type SipResponseMessage,
  type SipStack,
  type UacCallbacks,
  type UacOptions,
} from '../../app/sip-stack.js';
import { holdingEarlyRequests } from './early-requests.js';
import { releasingReInviteSlot, releasingReInviteSlotOfLateOffer } from './reinvite-slot.js';

export interface EngineConnectionOptions {
  host: string;
  port: number;
  secret: string;
  log: Logger;
  /** Longest wait between reconnect attempts. @default 2000 */
  retryMaxDelayMs?: number;
}

export interface EngineConnection {
  /** srf as sip-edge uses it; SIP actions fail with UnavailableError while the engine is away. */
  stack: SipStack;
  connected(): boolean;
  /** The SIP listeners the engine announced at its last connect (announced for GetMediaResources). */
  listenAddresses(): SipListenAddress[];
  /** Resolves at the first successful connection (srf.connect is not awaitable, pitfall 24). */
  ready: Promise<void>;
  close(): void;
}

/**
 * Connects drachtio-srf to the SIP engine's admin port (drachtio-server in production) and keeps
 * reconnecting. The engine keeps a disconnected app's dialogs but routes nothing to it (pitfall 8), so
 * a reconnect means: new INVITEs flow again, in-dialog requests of the old connection's dialogs get 481.
 */
export function connectEngine(options: EngineConnectionOptions): EngineConnection {
  const { log } = options;
  const srf = new Srf();
  let isConnected = false;
  let hostports = '';
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  const events = srf as unknown as NodeJS.EventEmitter;
  events.on('connect', (error: Error | null, announced?: string) => {
    if (error) {
      log.error({ err: error }, 'SIP engine refused the connection');
      return;
    }
    isConnected = true;
    hostports = announced ?? '';
    log.info({ engine: `${options.host}:${options.port}`, hostports }, 'connected to the SIP engine');
    resolveReady();
  });
  events.on('close', () => {
    if (isConnected) log.warn('lost the SIP engine connection; reconnecting');
    isConnected = false;
  });
  events.on('error', (error: Error) => log.debug({ err: error }, 'SIP engine connection error'));
  (srf as unknown as { connect(options: object): void }).connect({
    host: options.host,
    port: options.port,
    secret: options.secret,
    reconnect: { retryMaxDelay: options.retryMaxDelayMs ?? 2000 },
  });

  const raw = srf as unknown as SipStack;
  const withCallbacks = srf as unknown as SrfWithCallbacks;
  const guard = <T>(action: string, run: () => Promise<T>): Promise<T> => {
    if (!isConnected)
      return Promise.reject(new UnavailableError(`SIP engine not connected; cannot ${action}`));
    return run();
  };
  const stack: SipStack = {
    invite: (handler) => raw.invite(handler),
    refer: (handler) => raw.refer(handler),
    register: (handler) => raw.register(handler),
    // The callback forms: a dialog gets its early-request hold in the tick srf makes it (early-requests.ts).
    createUAS: (request, response, opts) =>
      guard(
        'answer',
        () =>
          new Promise<SipDialog>((resolve, reject) =>
            withCallbacks.createUAS(request, response, opts, (error, dialog) =>
              error ? reject(error) : resolve(releasingReInviteSlot(holdingEarlyRequests(dialog!))),
            ),
          ),
      ),
    createUAC: (uri, opts, callbacks) =>
      guard(
        'send an INVITE',
        () =>
          new Promise<SipDialog | LateOffer>((resolve, reject) =>
            withCallbacks.createUAC(uri, opts, callbacks, (error, result) => {
              if (error) return reject(error);
              resolve(
                isDialog(result!)
                  ? releasingReInviteSlot(holdingEarlyRequests(result))
                  : releasingReInviteSlotOfLateOffer(result!),
              );
            }),
          ),
      ),
    contactUri: (protocol) => contactUriOf(hostports, protocol),
    sendRequest: (uri, opts) =>
      guard(
        `send ${opts.method}`,
        () =>
          new Promise<SipResponseMessage>((resolve, reject) =>
            withCallbacks.request(uri, opts, (error, sent) => {
              if (error || !sent) return reject(error ?? new Error(`${opts.method} not sent`));
              sent.on('response', (response) => {
                if (response.status >= 200) resolve(response);
              });
            }),
          ),
      ),
    // srf needs a URI even for a request by dialog id; the engine sends to the dialog's remote target.
    request: (opts) => guard(`send ${opts.method}`, () => raw.request({ uri: 'sip:placeholder', ...opts })),
  };
  return {
    stack,
    connected: () => isConnected,
    listenAddresses: () => listenAddressesOf(hostports),
    ready,
    close: () => {
      const wasConnected = isConnected;
      isConnected = false;
      // srf asserts on a socket that is already gone (the engine stopped first).
      if (wasConnected) {
        try {
          srf.disconnect();
        } catch (error) {
          log.debug({ err: error }, 'SIP engine connection already closed');
        }
      }
    },
  };
}

/** srf's createUAS and createUAC with a final callback, which srf calls in the tick the dialog is made. */
interface SrfWithCallbacks {
  createUAS(
    request: SipRequest,
    response: SipResponder,
    options: { localSdp: string; headers?: Record<string, string> },
    callback: (error: Error | null | undefined, dialog?: SipDialog) => void,
  ): void;
  createUAC(
    uri: string,
    options: UacOptions,
    callbacks: UacCallbacks,
    callback: (error: Error | null | undefined, result?: SipDialog | LateOffer) => void,
  ): void;
  /** An out-of-dialog request: the callback gets the request as sent, whose `response` events follow. */
  request(
    uri: string,
    options: { method: string; headers: Record<string, string> },
    callback: (
      error: Error | null | undefined,
      sent?: { on(event: 'response', listener: (response: SipResponseMessage) => void): void },
    ) => void,
  ): void;
}

/**
 * The engine's SIP URI for `protocol` from the listeners it announced at connect (`udp/127.0.0.1:5060,
 * tcp/127.0.0.1:5060`, drachtio's form).
 */
export function contactUriOf(hostports: string, protocol: SipContactTransport): string | undefined {
  for (const entry of hostports.split(',')) {
    const at = entry.indexOf('/');
    if (at < 0 || entry.slice(0, at).trim().toLowerCase() !== protocol) continue;
    const hostport = entry.slice(at + 1).trim();
    if (!hostport) continue;
    const scheme = protocol === 'tls' ? 'sips' : 'sip';
    // WebSocket listeners are named as the engine's own Contact names them (`;transport=ws`/`wss`).
    const suffix =
      protocol === 'tcp' || protocol === 'ws' || protocol === 'wss' ? `;transport=${protocol}` : '';
    return `${scheme}:${hostport}${suffix}`;
  }
  return undefined;
}

export interface SipListenAddress {
  transport: string;
  host: string;
  port: number;
}

/**
 * Every listener in the engine's announcement (`udp/127.0.0.1:5060,tcp/[::1]:5060`): what a carrier must
 * allowlist. Entries without a port are left out.
 */
export function listenAddressesOf(hostports: string): SipListenAddress[] {
  const addresses: SipListenAddress[] = [];
  for (const entry of hostports.split(',')) {
    const match = /^\s*([a-z]+)\/(\[[^\]]+\]|[^:\s]+):(\d+)\s*$/i.exec(entry);
    if (!match) continue;
    const host = match[2]!.replace(/^\[|\]$/g, '');
    addresses.push({ transport: match[1]!.toLowerCase(), host, port: Number(match[3]) });
  }
  return addresses;
}
