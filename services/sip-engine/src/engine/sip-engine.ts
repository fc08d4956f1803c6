import type { Logger } from '@callctl/logging';
import { buildResponse, serializeMessage } from '@callctl/sip';
import { AdminServer } from '../admin/admin-server.js';
import { SipCore } from '../core/sip-core.js';
import type { Clock, IdSource } from '../core/runtime.js';
import type { TimerConfig } from '../transaction/timers.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import type { SipTransport } from '../transport/transport.js';
import { UdpTransport } from '../transport/udp-transport.js';
import { createFrontDoor } from './front-door.js';

export interface SipEngineOptions {
  udp: Array<{ host: string; port: number }>;
  tcp: Array<{ host: string; port: number }>;
  admin: { host: string; port: number };
  secret: string;
  log: Logger;
  timers?: TimerConfig;
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
    for (const listen of options.udp)
      transports.push(await UdpTransport.listen({ ...listen, log: transportLog, onMessage }));
    for (const listen of options.tcp)
      transports.push(await TcpTransport.listen({ ...listen, log: transportLog, onMessage }));
  } catch (err) {
    await Promise.all(transports.map((t) => t.close()));
    throw err;
  }
  const hostports = transports.map((t) => `${t.protocol}/${t.local.address}:${t.local.port}`).join(',');
  const admin = new AdminServer({
    host: options.admin.host,
    port: options.admin.port,
    secret: options.secret,
    log: log.child({ module: 'admin' }),
    hostports: () => hostports,
  });
  const core = new SipCore({
    transports,
    router: admin.router,
    log: log.child({ module: 'core' }),
    clock: options.clock,
    ids: options.ids,
    timers: options.timers,
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
