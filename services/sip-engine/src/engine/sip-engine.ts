import type { Logger } from '@callctl/logging';
import { buildResponse, serializeMessage } from '@callctl/sip';
import { AdminServer } from '../admin/admin-server.js';
import { SipCore } from '../core/sip-core.js';
import type { Clock, IdSource } from '../core/runtime.js';
import type { TimerConfig } from '../transaction/timers.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import type { Peer, SipTransport } from '../transport/transport.js';
import { hostPort } from '../core/addressing.js';
import { UdpTransport } from '../transport/udp-transport.js';
import { createFrontDoor } from './front-door.js';

export interface SipEngineOptions {
  udp: Array<{ host: string; port: number }>;
  tcp: Array<{ host: string; port: number }>;
  admin: { host: string; port: number };
  secret: string;
  log: Logger;
  /** See SipTransport.advertised. */
  advertisedHost?: string;
  /** SO_RCVBUF / SO_SNDBUF of the UDP listeners (see UdpTransportOptions). */
  udpBuffers?: { receiveBytes: number; sendBytes: number };
  timers?: TimerConfig;
  /** @default 185_000 (RFC 3261 Timer C) */
  timerCMs?: number;
  /** @default the system resolver */
  lookupHost?: (host: string) => Promise<string>;
  clock?: Clock;
  ids?: IdSource;
}

export interface SipEngine {
  admin: AdminServer;
  adminPort: number;
  core: SipCore;
  transports: SipTransport[];
  /** `udp/127.0.0.1:5060,tcp/...` as announced to apps. */
  hostports: string;
  close(): Promise<void>;
}

/**
 * Builds and starts the whole engine: SIP listeners → front door → core, and the admin listener apps
 * connect to. main.ts runs it from config; tests run it in-process on port 0.
 */
export async function startSipEngine(options: SipEngineOptions): Promise<SipEngine> {
  const { log } = options;
  // The front door exists before the core (the core needs the transports the front door feeds).
  const ref: { core?: SipCore } = {};
  const onMessage = createFrontDoor({
    log: log.child({ module: 'front-door' }),
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
    for (const listen of options.tcp) transports.push(await TcpTransport.listen({ ...listen, ...common }));
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
    lookupHost: options.lookupHost,
  });
  ref.core = core;
  admin.attach(core);
  const address = await admin.listen();
  return {
    admin,
    adminPort: address.port,
    core,
    transports,
    hostports,
    close: async () => {
      await admin.close();
      core.close();
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}
