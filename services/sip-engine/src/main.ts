import { createLogger } from '@callctl/logging';
import { runMain, Shutdown } from '@callctl/service';
import { AdminServer } from './admin/admin-server.js';
import { readConfig } from './config.js';

// Composition root. Only the admin protocol layer exists so far: SIP actions from apps are refused with
// NOK until the transport/transaction/dialog layers are attached (see the package README in the report).
runMain(async () => {
  const config = readConfig(process.env);
  const log = createLogger({ service: 'sip-engine', level: config.LOG_LEVEL });
  const shutdown = new Shutdown({ log, drainMs: config.SHUTDOWN_DRAIN_MS });
  const hostports = [
    ...config.SIP_UDP.map((a) => `udp/${a.host}:${a.port}`),
    ...config.SIP_TCP.map((a) => `tcp/${a.host}:${a.port}`),
  ].join(',');
  const admin = new AdminServer({
    host: config.ADMIN.host,
    port: config.ADMIN.port,
    secret: config.ADMIN_SECRET,
    log: log.child({ module: 'admin' }),
    hostports: () => hostports,
  });
  const address = await admin.listen();
  shutdown.add('admin server', () => admin.close());
  log.info({ admin: `${address.address}:${address.port}` }, 'sip-engine ready');
});
