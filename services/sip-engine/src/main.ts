import { createLogger } from '@callctl/logging';
import { runMain, Shutdown } from '@callctl/service';
import { buildResponse, serializeMessage } from '@callctl/sip';
import { AdminServer } from './admin/admin-server.js';
import { readConfig } from './config.js';
import { createFrontDoor } from './engine/front-door.js';
import { TcpTransport } from './transport/tcp-transport.js';
import type { SipTransport } from './transport/transport.js';
import { UdpTransport } from './transport/udp-transport.js';

// Composition root. The transaction and dialog layers are not wired yet: valid requests are answered 503
// (never left unanswered) and SIP actions from apps are refused with NOK by the admin server.
runMain(async () => {
  const config = readConfig(process.env);
  const log = createLogger({ service: 'sip-engine', level: config.LOG_LEVEL });
  const shutdown = new Shutdown({ log, drainMs: config.SHUTDOWN_DRAIN_MS });

  const onMessage = createFrontDoor({
    log: log.child({ module: 'front-door' }),
    onRequest: (request, inbound) => {
      if (request.method === 'ACK') return;
      const response = buildResponse(request, 503, 'Service Unavailable');
      inbound.transport.send(serializeMessage(response), inbound.remote).catch(() => undefined);
    },
    onResponse: () => undefined,
  });
  const transportLog = log.child({ module: 'transport' });
  const transports: SipTransport[] = [];
  for (const listen of config.SIP_UDP) {
    transports.push(await UdpTransport.listen({ ...listen, log: transportLog, onMessage }));
  }
  for (const listen of config.SIP_TCP) {
    transports.push(await TcpTransport.listen({ ...listen, log: transportLog, onMessage }));
  }
  for (const transport of transports)
    shutdown.add(`${transport.protocol} transport`, () => transport.close());

  const hostports = transports.map((t) => `${t.protocol}/${t.local.address}:${t.local.port}`).join(',');
  const admin = new AdminServer({
    host: config.ADMIN.host,
    port: config.ADMIN.port,
    secret: config.ADMIN_SECRET,
    log: log.child({ module: 'admin' }),
    hostports: () => hostports,
  });
  const address = await admin.listen();
  shutdown.add('admin server', () => admin.close());
  log.info({ admin: `${address.address}:${address.port}`, sip: hostports }, 'sip-engine ready');
});
