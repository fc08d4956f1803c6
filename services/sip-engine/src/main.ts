import { runService } from '@callctl/service/run-service';
import { readConfig } from './config.js';
import { startSipEngine, type ScreeningStatus } from './engine/sip-engine.js';

// Composition root, in the one main shape (runService): config → logger → engine (SIP listeners, front
// door, core, admin listener), its stop registered as soon as it runs.
runService({
  name: 'sip-engine',
  loadConfig: () => readConfig(process.env),
  async start(config, { log, stops }) {
    const engine = await startSipEngine({
      udp: config.SIP_UDP,
      tcp: config.SIP_TCP,
      tls: config.SIP_TLS,
      ws: config.SIP_WS,
      wss: config.SIP_WSS,
      ...(config.DRACHTIO_TLS_CERT_FILE && config.DRACHTIO_TLS_KEY_FILE
        ? {
            tlsCredentials: {
              certFile: config.DRACHTIO_TLS_CERT_FILE,
              keyFile: config.DRACHTIO_TLS_KEY_FILE,
              chainFile: config.DRACHTIO_TLS_CHAIN_FILE || undefined,
              dhParamFile: config.DRACHTIO_TLS_DH_PARAM_FILE || undefined,
              minVersion: config.SIP_TLS_MIN_VERSION,
              maxVersion: config.SIP_TLS_MAX_VERSION || undefined,
              ciphers: config.SIP_TLS_CIPHERS || undefined,
              caFile: config.SIP_TLS_CA_FILE || undefined,
              verifyClientCert: config.DRACHTIO_TLS_VERIFY_CLIENT_CERT,
              verifyServerCert: config.SIP_TLS_VERIFY_SERVER_CERT,
            },
          }
        : {}),
      wsMaxMessageBytes: config.SIP_WS_MAX_MESSAGE_BYTES,
      dns: { servers: config.SIP_DNS_SERVERS, timeoutMs: config.SIP_DNS_TIMEOUT_MS },
      admin: config.ADMIN,
      secret: config.ADMIN_SECRET,
      log,
      advertisedHost: config.SIP_ADVERTISED_HOST,
      udpBuffers: { receiveBytes: config.SIP_UDP_RECEIVE_BUFFER, sendBytes: config.SIP_UDP_SEND_BUFFER },
      timers: { t1Ms: config.SIP_T1_MS, t2Ms: config.SIP_T2_MS, t4Ms: config.SIP_T4_MS },
      limits: {
        maxServerTransactions: config.SIP_MAX_SERVER_TRANSACTIONS,
        maxPendingRequests: config.SIP_MAX_PENDING_REQUESTS,
        maxDialogs: config.SIP_MAX_DIALOGS,
        retryAfterS: config.SIP_RETRY_AFTER_S,
      },
      malformedLogIntervalMs: config.SIP_MALFORMED_LOG_INTERVAL_MS,
      flood: {
        sampleMs: config.SIP_FLOOD_SAMPLE_MS,
        maxRequestsPerSample: config.SIP_FLOOD_MAX_REQUESTS,
        banMs: config.SIP_FLOOD_BAN_MS,
        exempt: config.SIP_FLOOD_EXEMPT_CIDRS,
      },
      spammers: {
        userAgent: config.SIP_SPAMMERS_USER_AGENT,
        to: config.SIP_SPAMMERS_TO,
        from: config.SIP_SPAMMERS_FROM,
        action: config.SIP_SPAMMERS_ACTION,
        tcpAction: config.SIP_SPAMMERS_TCP_ACTION,
      },
      tcpLimits: {
        messageTimeoutMs: config.SIP_TCP_MESSAGE_TIMEOUT_MS,
        idleTimeoutMs: config.SIP_TCP_IDLE_TIMEOUT_MS,
        maxConnectionsPerAddress: config.SIP_TCP_MAX_CONNECTIONS_PER_IP,
      },
    });
    stops.add('sip engine', () => engine.close());
    // Table sizes once a minute: every entry must go when its transaction or dialog ends, so growth shows a leak.
    // The counters say how much was shed or malformed in all.
    const statsTimer = setInterval(
      () =>
        log.info(
          {
            ...engine.core.stats,
            shed: engine.core.shed,
            malformed: engine.malformed.total,
            ...screeningSummary(engine.screening()),
          },
          'sip engine tables',
        ),
      60_000,
    );
    statsTimer.unref();
    log.info(
      { admin: `${config.ADMIN.host}:${engine.adminPort}`, sip: engine.hostports },
      'sip-engine ready',
    );
  },
});

/** The minute line's share of the screening: counts and the first banned addresses (not their detail). */
function screeningSummary(status: ScreeningStatus) {
  return {
    spammersDiscarded: status.spammersDiscarded,
    spammersRejected: status.spammersRejected,
    floodBans: status.flood?.bans.length ?? 0,
    floodBanned: status.flood?.bans.slice(0, 20).map((b) => b.address) ?? [],
    floodBansTotal: status.flood?.bansTotal ?? 0,
    floodDropped: status.flood?.droppedTotal ?? 0,
  };
}
