import { createServer, type AddressInfo, type Server } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@callctl/logging';
import type { AppMessage } from './codec.js';
import { AppConnection } from './connection.js';
import { Router } from './router.js';

/** Version reported to apps; must parse as v<maj>.<min>.<patch> ≥ 0.8.2 or srf never pings (research §1.3). */
export const ENGINE_VERSION = 'v0.9.6-callctl';

/** What the engine core does with `sip`/`proxy` messages from an app. Must answer each exactly once. */
export interface AppSipHandler {
  onAppSip(conn: AppConnection, message: Extract<AppMessage, { type: 'sip' }>): void;
  onAppProxy(conn: AppConnection, message: Extract<AppMessage, { type: 'proxy' }>): void;
  onAppClosed(conn: AppConnection): void;
}

export interface AdminServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  secret: string;
  log: Logger;
  /** `proto/host:port` list announced to apps (external view). */
  hostports: () => string;
  /** Same list with bound addresses. */
  localHostports?: () => string;
  handler?: AppSipHandler;
  maxFrameBytes?: number;
}

/** A handler for the time no SIP core is attached: every SIP action is refused, never silently lost. */
const refuseSip: AppSipHandler = {
  onAppSip: (conn, m) => conn.respond(m.msgId, 'NOK', ['no SIP stack attached']),
  onAppProxy: (conn, m) => conn.respond(m.msgId, 'NOK', ['no SIP stack attached']),
  onAppClosed: () => undefined,
};

/** The admin (control) listener apps connect to with `srf.connect({host, port, secret})`. */
export class AdminServer {
  readonly router = new Router<AppConnection>();
  readonly connections = new Set<AppConnection>();
  /** Keepalives answered so far (srf only pings when it accepted our version string, research §1.3). */
  pingsAnswered = 0;
  private server: Server | undefined;
  private handler: AppSipHandler;

  constructor(private readonly options: AdminServerOptions) {
    this.handler = options.handler ?? refuseSip;
  }

  attach(handler: AppSipHandler): void {
    this.handler = handler;
  }

  async listen(): Promise<AddressInfo> {
    const server = createServer((socket) => {
      const conn = new AppConnection(
        socket,
        this.options.log,
        (c, m) => this.dispatch(c, m),
        (c) => this.closed(c),
        this.options.maxFrameBytes,
      );
      this.connections.add(conn);
      this.options.log.info({ app: conn.remote }, 'app connected');
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    for (const conn of this.connections) conn.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private dispatch(conn: AppConnection, message: AppMessage): void {
    if (!conn.authenticated && message.type !== 'authenticate' && message.type !== 'ping') {
      conn.respond(message.msgId, 'NO', ['authentication required']);
      return;
    }
    switch (message.type) {
      case 'authenticate':
        return this.authenticate(conn, message);
      case 'ping':
        this.pingsAnswered++;
        return conn.respond(message.msgId, 'OK', ['pong']);
      case 'route':
        this.router.add(conn, message.verb);
        return conn.respond(message.msgId, 'OK');
      case 'remove_route':
        this.router.remove(conn, message.verb);
        return conn.respond(message.msgId, 'OK');
      case 'sip':
        return this.handler.onAppSip(conn, message);
      case 'proxy':
        return this.handler.onAppProxy(conn, message);
    }
  }

  private authenticate(conn: AppConnection, message: Extract<AppMessage, { type: 'authenticate' }>): void {
    if (!secretMatches(message.secret, this.options.secret)) {
      this.options.log.warn({ app: conn.remote }, 'app failed to authenticate');
      conn.respond(message.msgId, 'NO', ['incorrect secret']);
      conn.close();
      return;
    }
    conn.authenticated = true;
    conn.tags = message.tags;
    const hostports = this.options.hostports();
    conn.respond(message.msgId, 'OK', [
      hostports,
      ENGINE_VERSION,
      this.options.localHostports?.() ?? hostports,
    ]);
    this.options.log.info({ app: conn.remote, tags: conn.tags }, 'app authenticated');
  }

  private closed(conn: AppConnection): void {
    this.connections.delete(conn);
    this.router.removeApp(conn);
    this.handler.onAppClosed(conn);
    this.options.log.info({ app: conn.remote }, 'app disconnected');
  }
}

function secretMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
