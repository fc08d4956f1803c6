// An in-process engine on free loopback ports plus connected drachtio-srf apps, for the srf tests.
import { createLogger } from '@callctl/logging';
import Srf from 'drachtio-srf';
import { startSipEngine, type SipEngine, type SipEngineOptions } from '../../src/engine/sip-engine.js';
import type { TimerConfig } from '../../src/transaction/timers.js';

export const SECRET = 'cymru';

export interface EngineEnv extends AsyncDisposable {
  engine: SipEngine;
  /** The engine's SIP URI for a scripted peer to call (`;transport=tcp` for TCP). */
  uri(protocol?: StreamOrDatagram, user?: string): string;
  peer(protocol?: StreamOrDatagram): { address: string; port: number };
  /** A connected, authenticated srf app; disconnected when the env is disposed. */
  app(): Promise<Srf>;
  /** Disconnects one app now (the env does not disconnect it again). */
  disconnect(srf: Srf): void;
}

type StreamOrDatagram = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export async function startEngineEnv(
  timers?: TimerConfig,
  extra: Pick<
    SipEngineOptions,
    | 'timerCMs'
    | 'lookupHost'
    | 'advertisedHost'
    | 'clock'
    | 'limits'
    | 'tls'
    | 'ws'
    | 'wss'
    | 'tlsCredentials'
    | 'wsMaxMessageBytes'
    | 'tcpLimits'
  > & { log?: SipEngineOptions['log'] } = {},
): Promise<EngineEnv> {
  const log =
    extra.log ??
    createLogger({
      service: 'sip-engine-test',
      level: (process.env.ENGINE_TEST_LOG as never) ?? 'silent',
    });
  const engine = await startSipEngine({
    udp: [{ host: '127.0.0.1', port: 0 }],
    tcp: [{ host: '127.0.0.1', port: 0 }],
    admin: { host: '127.0.0.1', port: 0 },
    secret: SECRET,
    log,
    timers,
    ...extra,
  });
  const apps: Srf[] = [];
  const peer = (protocol: StreamOrDatagram = 'udp') => {
    const t = engine.transports.find((x) => x.protocol === protocol)!;
    return { address: '127.0.0.1', port: t.local.port };
  };
  return {
    engine,
    peer,
    uri: (protocol = 'udp', user = 'app') =>
      `sip:${user}@127.0.0.1:${peer(protocol).port}${protocol === 'udp' ? '' : `;transport=${protocol}`}`,
    app: async () => {
      const srf = new Srf();
      await new Promise<void>((resolve, reject) => {
        srf.on('connect', (err: Error | null) => (err ? reject(err) : resolve()));
        srf.on('error', () => undefined);
        srf.connect({ host: '127.0.0.1', port: engine.adminPort, secret: SECRET } as never);
      });
      apps.push(srf);
      return srf;
    },
    disconnect: (srf) => {
      apps.splice(apps.indexOf(srf), 1);
      srf.disconnect();
    },
    [Symbol.asyncDispose]: async () => {
      for (const srf of apps) srf.disconnect();
      await engine.close();
    },
  };
}

/** Resolves when `emitter` emits `event`, with the event's arguments. */
export function once<T extends unknown[]>(
  emitter: { once(event: string, fn: (...args: T) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)));
}

/** Waits until some app routed `verb` (srf sends its routes asynchronously after connecting). */
export async function routed(env: EngineEnv, verb: string, count = 1): Promise<void> {
  const deadline = Date.now() + 5000;
  while (env.engine.admin.router.all(verb).length < count) {
    if (Date.now() > deadline) throw new Error(`no app routed ${verb}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
