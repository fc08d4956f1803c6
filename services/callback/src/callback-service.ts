// The callback service wired by hand: its own event log (and relay, and a follower of it), the public API
// client it drives calls with, the core, the durable consumer of CALL_EVENTS (set up before anything is
// served), then the IIF and the gRPC Callback service.
import { readFileSync } from 'node:fs';
import { connectBus } from '@callctl/bus';
import { createCallControlClient, createMediaLibraryClient, type ClientOptions } from '@callctl/client';
import type { Logger } from '@callctl/logging';
import { startCallbackGrpc, type CallbackGrpc } from './adapters/grpc/callback-grpc.js';
import { followLog, openCallbackLog, startCallbackRelay } from './adapters/eventlog/callback-log.js';
import { startCallEventsConsumer } from './adapters/platform/call-events-consumer.js';
import { createAnnouncementResolver, parseAnnouncements } from './app/announcements.js';
import { createCallbacks, type CallbackCore } from './app/callbacks.js';
import { parseDialPlan } from './app/dial-plan.js';
import { createEffects } from './app/effects.js';
import type { CallbackConfig } from './config.js';
import { startIifServer, type IifServer } from './iif/iif-server.js';
import { createResponseSender, type ResponseSender } from './iif/response-sender.js';

const IDLE_WAIT_MS = 5000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** An IPv6 host goes in brackets. */
const hostPort = (a: { host: string; port: number }) =>
  a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;

export interface CallbackServiceOptions {
  config: CallbackConfig;
  log: Logger;
  /** Serve the IIF (UDP). @default true; tests of the core alone turn it off. */
  iif?: boolean;
  /** Serve callctl.v1.Callback. @default true */
  grpc?: boolean;
}

export interface CallbackService {
  grpc?: CallbackGrpc;
  iif?: IifServer;
  /** The core, for tests and the composition's own use. */
  callbacks: CallbackCore;
  close(): Promise<void>;
}

export async function startCallbackService(o: CallbackServiceOptions): Promise<CallbackService> {
  const { config, log } = o;
  const stops: Array<[string, () => Promise<void> | void]> = [];
  const close = async () => {
    for (const [name, stop] of stops.reverse())
      await Promise.resolve()
        .then(stop)
        .catch((error: unknown) => log.warn({ err: error, what: name }, 'stopping failed'));
    stops.length = 0;
  };
  try {
    // Checked first: a bad setting must stop the start before anything is opened.
    const dialPlan = parseDialPlan(config.CALLBACK_DIAL_PLAN);
    const configured = parseAnnouncements(config.CALLBACK_ANNOUNCEMENTS);

    const callbackLog = openCallbackLog({
      databaseUrl: config.DATABASE_URL,
      poolSize: config.DATABASE_POOL_SIZE,
      log,
    });
    stops.push(['callback log', () => callbackLog.close()]);
    const nc = await connectBus({
      servers: config.NATS_URL,
      name: `callback-${config.CALLBACK_INSTANCE}`,
      security: config.nats,
    });
    stops.push(['nats', () => nc.drain()]);

    const api: ClientOptions = {
      address: hostPort(config.CALLCTL_API),
      deadlineMs: config.CALLCTL_API_TIMEOUT_MS,
      ...(config.CALLCTL_API_TOKEN ? { token: config.CALLCTL_API_TOKEN } : {}),
      tls: apiTls(config),
    };
    const callControl = createCallControlClient(api);
    stops.push(['call control client', () => callControl.close()]);
    const library = createMediaLibraryClient(api);
    stops.push(['media library client', () => library.close()]);

    const callbacks = createCallbacks({
      store: callbackLog.store,
      codecs: callbackLog.codecs,
      effects: createEffects({ api: callControl }),
      dialPlan,
      defaultCaller: config.CALLBACK_DEFAULT_CALLER,
      callerUriTemplate: config.CALLBACK_CALLER_URI_TEMPLATE,
      announcements: createAnnouncementResolver({ configured, library }),
      user2FailedAnnouncement: config.CALLBACK_USER2_FAILED_ANNOUNCEMENT,
      ringTimeoutMs: config.CALLBACK_RING_TIMEOUT_MS,
      maxDurationS: config.CALLBACK_MAX_DURATION_S,
      limits: { maxActive: config.CALLBACK_MAX_ACTIVE, maxPerSecond: config.CALLBACK_MAX_PER_SECOND },
      retransmissionWindowMs: config.CALLBACK_IIF_RETRANSMISSION_WINDOW_MS,
      log,
    });
    // The RESPONSE sender settles through the core, and the core owes RESPONSEs to it: built in that order.
    const responses: ResponseSender | undefined =
      (o.iif ?? true)
        ? createResponseSender({
            retryMs: config.CALLBACK_IIF_RESPONSE_RETRY_MS,
            attempts: config.CALLBACK_IIF_RESPONSE_ATTEMPTS,
            settle: (callbackId, acknowledged, attempts) =>
              callbacks.settleResponse(callbackId, acknowledged, attempts),
            log,
          })
        : undefined;
    if (responses) {
      stops.push(['iif responses', () => responses.close()]);
      callbacks.setResponses(responses);
    }
    await callbacks.load();
    // Commands still retrying against an unreachable platform are not waited for long: the next start
    // re-drives what the log says is owed.
    stops.push(['reactions under way', () => Promise.race([callbacks.idle(), delay(IDLE_WAIT_MS)])]);
    const follower = followLog({
      store: callbackLog.store,
      databaseUrl: config.DATABASE_URL,
      position: () => callbacks.position(),
      apply: (events) => callbacks.applyLog(events),
      log,
    });
    stops.push(['log follower', () => follower.close()]);
    const relay = startCallbackRelay({
      store: callbackLog.store,
      databaseUrl: config.DATABASE_URL,
      nc,
      publishJson: config.PUBLISH_JSON,
      log,
    });
    stops.push(['relay', () => relay.close()]);
    const consumer = await startCallEventsConsumer({
      nc,
      durableName: config.CALLBACK_EVENTS_CONSUMER,
      onCallEvent: (callbackId, event, recordedAt) => callbacks.onCallEvent(callbackId, event, recordedAt),
      log,
    });
    stops.push(['call events consumer', () => consumer.close()]);

    const iif = responses
      ? await startIifServer({
          host: config.IIF_HOST,
          port: config.IIF_PORT,
          peers: config.CALLBACK_IIF_PEERS,
          maxDatagramBytes: config.CALLBACK_IIF_MAX_DATAGRAM_BYTES,
          retransmissionWindowMs: config.CALLBACK_IIF_RETRANSMISSION_WINDOW_MS,
          callbacks,
          responses,
          log,
        })
      : undefined;
    if (iif) stops.push(['iif', () => iif.close()]);
    const grpc =
      (o.grpc ?? true)
        ? await startCallbackGrpc({
            host: config.GRPC_HOST,
            port: config.GRPC_PORT,
            callbacks,
            store: callbackLog.store,
            databaseUrl: config.DATABASE_URL,
            tls: config.publicTls,
            apiTokensFile: config.apiTokensFile,
            ...(iif && responses
              ? { iifCounters: () => ({ ...iif.counters(), ...responses.counters() }) }
              : {}),
            log,
          })
        : undefined;
    if (grpc) stops.push(['grpc', () => grpc.close()]);
    return { grpc, iif, callbacks, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** TLS towards the public API: its CA when one is known (CALLCTL_API_CA_FILE, else the internal CA). */
function apiTls(config: CallbackConfig): ClientOptions['tls'] {
  if (!config.CALLCTL_API_TLS) return false;
  const caFile = config.CALLCTL_API_CA_FILE ?? config.internalTls?.caFile;
  return caFile ? { ca: readFileSync(caFile) } : true;
}
