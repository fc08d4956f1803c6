import type { Logger } from '@callctl/logging';
import { buildResponse, serializeMessage } from '@callctl/sip';
import { AdminServer } from '../admin/admin-server.js';
import { SipCore } from '../core/sip-core.js';
import { systemClock, type Clock, type IdSource } from '../core/runtime.js';
import type { CoreLimits } from '../core/limits.js';
import type { TimerConfig } from '../transaction/timers.js';
import { TcpTransport, type TcpTransportOptions } from '../transport/tcp-transport.js';
import type { Peer, SipTransport } from '../transport/transport.js';
import { hostPort } from '../core/addressing.js';
import { UdpTransport } from '../transport/udp-transport.js';
import { TlsTransport, type TlsCredentials } from '../transport/tls-transport.js';
import { WsTransport } from '../transport/ws-transport.js';
import { FloodGuard, type FloodGuardOptions, type FloodStatus } from './flood-guard.js';
import { createFrontDoor, type ScreenedCounts } from './front-door.js';
import { MalformedTally } from './malformed-tally.js';
import { createSipResolver } from '../dns/sip-resolver.js';
import type { SpammerOptions } from './spammers.js';

export interface SipEngineOptions {
  udp: Array<{ host: string; port: number }>;
  tcp: Array<{ host: string; port: number }>;
  /** SIP over TLS listeners; they need `tlsCredentials`. @default none */
  tls?: Array<{ host: string; port: number }>;
  /** SIP over WebSocket listeners. @default none */
  ws?: Array<{ host: string; port: number }>;
  /** SIP over secure WebSocket listeners; they need `tlsCredentials`. @default none */
  wss?: Array<{ host: string; port: number }>;
  /** Certificate and policy of the TLS and WSS listeners and of outgoing TLS connections. */
  tlsCredentials?: TlsCredentials;
  /** Largest SIP message one WebSocket frame may carry. @default 65536 */
  wsMaxMessageBytes?: number;
  /**
   * RFC 3263 resolution of the host names apps send requests to: the DNS servers asked (`host:port`;
   * empty: the system's) and one question's deadline. @default the system's servers, 2000 ms
   */
  dns?: { servers: Array<{ host: string; port: number }>; timeoutMs: number };
  admin: { host: string; port: number };
  secret: string;
  log: Logger;
  /** See SipTransport.advertised. */
  advertisedHost?: string;
  /** SO_RCVBUF / SO_SNDBUF of the UDP listeners (see UdpTransportOptions). */
  udpBuffers?: { receiveBytes: number; sendBytes: number };
  timers?: TimerConfig;
  /** Caps on engine state under floods. @default DEFAULT_CORE_LIMITS */
  limits?: Partial<CoreLimits>;
  /** Malformed input is logged one line per quiet period plus one summary per window. @default 10_000 */
  malformedLogIntervalMs?: number;
  /** TCP listeners: see TcpTransportOptions (message deadline, idle timeout, connections per address). */
  tcpLimits?: Pick<TcpTransportOptions, 'messageTimeoutMs' | 'idleTimeoutMs' | 'maxConnectionsPerAddress'>;
  /**
   * The per-source flood ban (Kamailio pike-like), checked before any transaction. Undefined: no ban at all
   * (main.ts always passes one, with Kamailio's defaults unless configured).
   */
  flood?: FloodGuardOptions;
  /** drachtio's `spammers`: requests with a scanner's User-Agent/To/From are discarded or rejected. */
  spammers?: SpammerOptions;
  /** @default 185_000 (RFC 3261 Timer C) */
  timerCMs?: number;
  clock?: Clock;
  ids?: IdSource;
}

export interface SipEngine {
  admin: AdminServer;
  adminPort: number;
  core: SipCore;
  transports: SipTransport[];
  /** Malformed and invalid messages seen, counted and logged at a bounded rate. */
  malformed: MalformedTally;
  /** What the front door's screening did: bans in force and counts (undefined `flood`: no ban configured). */
  screening(): ScreeningStatus;
  /** `udp/127.0.0.1:5060,tcp/...` as announced to apps. */
  hostports: string;
  close(): Promise<void>;
}

export interface ScreeningStatus extends ScreenedCounts {
  flood: FloodStatus | undefined;
}

/**
 * Builds and starts the whole engine: SIP listeners → front door → core, and the admin listener apps
 * connect to. main.ts runs it from config; tests run it in-process on port 0.
 */
export async function startSipEngine(options: SipEngineOptions): Promise<SipEngine> {
  const { log } = options;
  // The front door exists before the core (the core needs the transports the front door feeds).
  const ref: { core?: SipCore } = {};
  const frontDoorLog = log.child({ module: 'front-door' });
  const malformed = new MalformedTally({
    log: frontDoorLog,
    clock: options.clock ?? systemClock,
    intervalMs: options.malformedLogIntervalMs,
  });
  const flood = options.flood
    ? new FloodGuard(options.flood, options.clock ?? systemClock, frontDoorLog)
    : undefined;
  const screened: ScreenedCounts = { spammersDiscarded: 0, spammersRejected: 0 };
  // Like drachtio's notice per spammer, but a scanner sweep writes two lines per window, not one per request.
  const spammerLog = new MalformedTally({
    log: frontDoorLog,
    clock: options.clock ?? systemClock,
    intervalMs: options.malformedLogIntervalMs,
    summary: 'spammer requests not logged one by one',
  });
  const onMessage = createFrontDoor({
    log: frontDoorLog,
    malformed,
    flood,
    spammers: options.spammers,
    spammerLog,
    screened,
    onRequest: (request, inbound) => {
      if (ref.core) return ref.core.onRequest(request, inbound);
      if (request.method === 'ACK') return;
      const response = buildResponse(request, 503, 'Service Unavailable');
      inbound.transport.send(serializeMessage(response), inbound.remote).catch(() => undefined);
    },
    onResponse: (response, inbound) => ref.core?.onResponse(response, inbound),
  });
  const transportLog = log.child({ module: 'transport' });
  const transports: SipTransport[] = [];
  try {
    const common = { log: transportLog, onMessage, advertisedHost: options.advertisedHost || undefined };
    const buffers = {
      receiveBufferBytes: options.udpBuffers?.receiveBytes,
      sendBufferBytes: options.udpBuffers?.sendBytes,
    };
    for (const listen of options.udp)
      transports.push(await UdpTransport.listen({ ...listen, ...common, ...buffers }));
    // Limits of every connection-oriented listener. A banned source opens no new connection either (its
    // datagrams are dropped in the front door).
    const streamLimits = {
      ...options.tcpLimits,
      onMalformed: (message: string, entry: { remote: string; reason: string }) =>
        malformed.record(message, entry),
      refuse: flood ? (address: string) => flood.dropIfBanned(address) : undefined,
    };
    for (const listen of options.tcp)
      transports.push(await TcpTransport.listen({ ...listen, ...common, ...streamLimits }));
    const needCredentials = (what: string): TlsCredentials => {
      if (!options.tlsCredentials) throw new Error(`${what} listeners need a certificate and key`);
      return options.tlsCredentials;
    };
    for (const listen of options.tls ?? [])
      transports.push(
        await TlsTransport.listen({
          ...listen,
          ...common,
          ...streamLimits,
          credentials: needCredentials('TLS'),
        }),
      );
    // A WebSocket carries one message per frame, so no per-message deadline (the upgrade has its own).
    const { messageTimeoutMs: _perMessage, ...wsLimits } = streamLimits;
    const webSockets = [
      ...(options.ws ?? []).map((listen) => ({ listen, secure: false })),
      ...(options.wss ?? []).map((listen) => ({ listen, secure: true })),
    ];
    for (const { listen, secure } of webSockets)
      transports.push(
        await WsTransport.listen({
          ...listen,
          ...common,
          ...wsLimits,
          maxMessageBytes: options.wsMaxMessageBytes,
          ...(secure ? { tls: needCredentials('WSS') } : {}),
        }),
      );
  } catch (err) {
    await Promise.all(transports.map((t) => t.close()));
    throw err;
  }
  const list = (view: (t: SipTransport) => Peer) =>
    transports.map((t) => `${t.protocol}/${hostPort(view(t))}`).join(',');
  // Apps get the advertised view first (drachtio's external IP) and the bound one second.
  const hostports = list((t) => t.advertised ?? t.local);
  const localHostports = list((t) => t.local);
  const admin = new AdminServer({
    host: options.admin.host,
    port: options.admin.port,
    secret: options.secret,
    log: log.child({ module: 'admin' }),
    hostports: () => hostports,
    localHostports: () => localHostports,
  });
  const core = new SipCore({
    transports,
    router: admin.router,
    log: log.child({ module: 'core' }),
    clock: options.clock,
    ids: options.ids,
    timers: options.timers,
    timerCMs: options.timerCMs,
    limits: options.limits,
    resolver: createSipResolver({
      servers: (options.dns?.servers ?? []).map(({ host, port }) => ({ address: host, port })),
      timeoutMs: options.dns?.timeoutMs ?? 2000,
      supported: transports.map((t) => t.protocol),
      ipv6: transports.some((t) => t.local.address.includes(':')),
      clock: options.clock ?? systemClock,
      log: log.child({ module: 'dns' }),
    }),
  });
  ref.core = core;
  admin.attach(core);
  const address = await admin.listen();
  return {
    admin,
    adminPort: address.port,
    core,
    transports,
    malformed,
    screening: () => ({ ...screened, flood: flood?.status() }),
    hostports,
    close: async () => {
      await admin.close();
      core.close();
      malformed.close();
      spammerLog.close();
      flood?.close();
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}
