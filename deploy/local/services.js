// What `make dev` runs: each service's entry point, environment and readiness check, and what it tells
// the person at the terminal. Ports come from ports.env through the environment `make` exports.
const { spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { createConnection } = require('node:net');
const { join } = require('node:path');
const { credentials } = require('@grpc/grpc-js');

const env = process.env;
const port = (name, fallback) => env[name] ?? String(fallback);

function grpcHealthy(address) {
  // Loaded lazily from the built proto lib, so this file does not need a build to be read.
  const { health } = require('../../libs/proto/dist/src/index.js');
  return () =>
    new Promise((resolve) => {
      const client = new health.HealthClient(address, credentials.createInsecure());
      client.check({ service: '' }, { deadline: Date.now() + 1000 }, (err, res) => {
        client.close();
        resolve(!err && res.status === health.HealthCheckResponse_ServingStatus.SERVING);
      });
    });
}

// The SIP engine has no gRPC: it is ready when its admin port (drachtio control protocol) accepts.
function tcpAccepting(host, tcpPort) {
  return () =>
    new Promise((resolve) => {
      const socket = createConnection({ host, port: Number(tcpPort) });
      const done = (ok) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
}

const mediaWorkerGrpc = `127.0.0.1:${port('CALLCTL_MEDIA_WORKER_GRPC_PORT', 50053)}`;
const sipListen = `127.0.0.1:${port('CALLCTL_SIP_PORT', 5060)}`;
const sipAdminPort = port('CALLCTL_SIP_ADMIN_PORT', 9022);
const sipAdminSecret = env.CALLCTL_SIP_ADMIN_SECRET ?? 'cymru';
const orchestratorGrpc = `127.0.0.1:${port('CALLCTL_ORCHESTRATOR_GRPC_PORT', 50051)}`;
const sipEdgeGrpc = `127.0.0.1:${port('CALLCTL_SIP_EDGE_GRPC_PORT', 50052)}`;
const mediaLibraryGrpc = `127.0.0.1:${port('CALLCTL_MEDIA_LIBRARY_GRPC_PORT', 50055)}`;
const ttsGrpc = `127.0.0.1:${port('CALLCTL_TTS_GRPC_PORT', 50054)}`;
const recordingGrpc = `127.0.0.1:${port('CALLCTL_RECORDING_GRPC_PORT', 50056)}`;
const mixerGrpc = `127.0.0.1:${port('CALLCTL_MIXER_GRPC_PORT', 50070)}`;
const streamGatewayGrpc = `127.0.0.1:${port('CALLCTL_STREAM_GATEWAY_GRPC_PORT', 50058)}`;
const streamReceiverPort = env.CALLCTL_STREAM_RECEIVER_PORT ?? '8765';
const callbackGrpc = `127.0.0.1:${port('CALLCTL_CALLBACK_GRPC_PORT', 50057)}`;
const callbackIifPort = port('CALLCTL_CALLBACK_IIF_PORT', 5080);
const provisioningGrpc = `127.0.0.1:${port('CALLCTL_PROVISIONING_GRPC_PORT', 50059)}`;
// SIP over TLS, WebSocket and secure WebSocket, with the dev certificate prepareCertificates() makes.
const sipTlsListen = `127.0.0.1:${port('CALLCTL_SIP_TLS_PORT', 5061)}`;
const sipWsListen = `127.0.0.1:${port('CALLCTL_SIP_WS_PORT', 5066)}`;
const sipWssListen = `127.0.0.1:${port('CALLCTL_SIP_WSS_PORT', 8443)}`;
const secureSip = env.CALLCTL_DEV_SECURE_SIP !== '0';

// The key that seals trunks' outbound passwords (provisioning writes them, sip-edge opens them): made once
// for this checkout and kept under .state, so trunks stored by an earlier `make dev` still open.
function provisioningSecretsKey() {
  if (env.PROVISIONING_SECRETS_KEY) return env.PROVISIONING_SECRETS_KEY;
  const state = join(__dirname, '..', '..', '.state');
  const file = join(state, 'provisioning-secrets.key');
  if (!existsSync(file)) {
    mkdirSync(state, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}
const secretsKey = provisioningSecretsKey();
// The callback service's own event log (stack.sh creates and migrates it beside callctl).
const callbackDatabaseUrl = env.CALLCTL_CALLBACK_DATABASE_URL;
// The recording service's live files (spool) and stored recordings (RECORDING_STORE=fs).
const recordingSpoolDir = join(__dirname, '..', '..', '.state', 'recording-spool');
const recordingDir = env.CALLCTL_RECORDING_DIR ?? join(__dirname, '..', '..', '.state', 'recordings');
// The tts service's own cache of synthesized WAVs (media-workers fetch them over MediaStore).
const ttsCacheDir = env.CALLCTL_TTS_CACHE_DIR ?? join(__dirname, '..', '..', '.state', 'tts');

// Files PlayMedia plays by file_id. `make dev` puts a spoken welcome prompt there (espeak-ng, the local
// engine the stack installs), so the walk-through below works with nothing uploaded.
const mediaFilesDir = env.CALLCTL_MEDIA_FILES_DIR ?? join(__dirname, '..', '..', '.state', 'media');

// make dev's dev CA and the engine's certificate for 127.0.0.1/localhost (deploy/local/dev-tls): made once
// under .state/dev-tls and kept, so a browser that trusts the CA keeps trusting it across runs.
const devTlsDir = join(__dirname, '..', '..', '.state', 'dev-tls');
const devTls = {
  caFile: join(devTlsDir, 'ca.pem'),
  certFile: join(devTlsDir, 'cert.pem'),
  keyFile: join(devTlsDir, 'cert.key'),
};

/** Makes the dev CA and certificate when missing or expiring; the paths above are theirs. */
function prepareCertificates() {
  if (!secureSip) return { makeCa: false, makeCert: false };
  // Built by `make dev` before this runs (the dev target depends on build).
  const { ensureDevCertificates } = require('./dist/dev-tls/dev-certificates.js');
  const files = ensureDevCertificates(devTlsDir);
  for (const name of ['caFile', 'certFile', 'keyFile']) {
    if (files[name] !== devTls[name]) throw new Error(`dev certificate ${name} moved: ${files[name]}`);
  }
  return files.made;
}

function prepareMedia() {
  mkdirSync(mediaFilesDir, { recursive: true });
  const welcome = join(mediaFilesDir, 'welcome.wav');
  if (!existsSync(welcome))
    spawnSync('espeak-ng', ['-w', welcome, 'Welcome to call control. Press a key.'], { stdio: 'ignore' });
}

// What make dev tells about phones over TLS and browser softphones over WSS (with the dev CA).
const secureSipHowTo = [
  `  (over TLS: registrar ${sipTlsListen};transport=tls, the phone trusting ${devTls.caFile})`,
  '',
  'Connect a browser softphone (README "Connect a browser softphone"):',
  `  1. trust the dev CA ${devTls.caFile} once, in the browser (Chrome/Chromium: Settings > Privacy and`,
  `     security > Security > Manage certificates > Authorities > Import, for websites; Firefox:`,
  `     Settings > Certificates > View Certificates > Authorities > Import) or for Chromium on Linux with`,
  `     certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n callctl-dev-ca -i ${devTls.caFile}   (libnss3-tools)`,
  `  2. provision a user as above (alice@pbx.local), then in a JsSIP or SIP.js softphone page opened from`,
  `     http://localhost or https (the microphone needs a secure context): WebSocket server`,
  `     wss://${sipWssListen}, SIP URI sip:alice@pbx.local, password as put, realm pbx.local`,
  `  3. ring it: npx callctl dial sip:alice@pbx.local (answer in the page; npx callctl watch shows it). Its`,
  `     own calls follow the dial plan (bob rings the phones registered as bob@pbx.local); to answer them`,
  `     from callctl instead, start make dev with DEVICE_CALL_ROUTING=app, then npx callctl answer <call> <leg>`,
  `  (the browser's media is WebRTC, ICE and DTLS-SRTP, relayed and transcoded by rtpengine)`,
];

const services = [
  {
    name: 'tts',
    entry: 'services/tts/dist/src/main.js',
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: port('CALLCTL_TTS_GRPC_PORT', 50054),
      TTS_CACHE_DIR: ttsCacheDir,
      // Cloud providers stay off unless their credentials are in the environment of `make dev`.
      ...Object.fromEntries(
        [
          'TTS_DEFAULT_PROVIDER',
          'TTS_FALLBACK_PROVIDER',
          'POLLY_REGION',
          'POLLY_ACCESS_KEY_ID',
          'POLLY_SECRET_ACCESS_KEY',
          'GOOGLE_API_KEY',
          'GOOGLE_ACCESS_TOKEN',
          'GOOGLE_APPLICATION_CREDENTIALS',
        ]
          .filter((name) => env[name])
          .map((name) => [name, env[name]]),
      ),
    },
    ready: grpcHealthy(ttsGrpc),
    listens: [['tts gRPC (internal: Tts, MediaStore)', ttsGrpc]],
  },
  {
    name: 'media-library',
    entry: 'services/media-library/dist/src/main.js',
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: port('CALLCTL_MEDIA_LIBRARY_GRPC_PORT', 50055),
      DATABASE_URL: env.DATABASE_URL,
    },
    ready: grpcHealthy(mediaLibraryGrpc),
    listens: [['media-library gRPC (MediaLibrary, public on 50051 too; MediaStore)', mediaLibraryGrpc]],
  },
  {
    name: 'media-worker',
    entry: 'services/media-worker/dist/src/main.js',
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: port('CALLCTL_MEDIA_WORKER_GRPC_PORT', 50053),
      RTPENGINE_NG: env.RTPENGINE_NG,
      DTMF_LOG_LISTEN: `127.0.0.1:${port('CALLCTL_RTPENGINE_DTMF_PORT', 52230)}`,
      NATS_URL: env.NATS_URL,
      // What GetMediaResources lists for this rtpengine (stack.sh starts it on loopback with this range).
      RTPENGINE_ADVERTISED_ADDRESS: '127.0.0.1',
      RTPENGINE_PORT_MIN: port('CALLCTL_RTPENGINE_MEDIA_MIN', 40000),
      RTPENGINE_PORT_MAX: port('CALLCTL_RTPENGINE_MEDIA_MAX', 44999),
      // Where it fetches `tts:` and `library:` media from (into its cache, which rtpengine reads).
      TTS_GRPC: ttsGrpc,
      MEDIA_LIBRARY_GRPC: mediaLibraryGrpc,
    },
    ready: grpcHealthy(mediaWorkerGrpc),
    listens: [['media-worker gRPC (internal)', mediaWorkerGrpc]],
  },
  {
    name: 'recording',
    entry: 'services/recording/dist/src/main.js',
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: port('CALLCTL_RECORDING_GRPC_PORT', 50056),
      DATABASE_URL: env.DATABASE_URL,
      NATS_URL: env.NATS_URL,
      MEDIA_WORKER_GRPC: mediaWorkerGrpc,
      RECORDING_RTP_HOST: '127.0.0.1',
      RECORDING_SPOOL_DIR: recordingSpoolDir,
      // One instance locally: a restart of `make dev` recovers what the previous run left unfinished.
      RECORDING_INSTANCE: 'recording-local',
      RECORDING_STORE: 'fs',
      RECORDING_DIR: recordingDir,
    },
    ready: grpcHealthy(recordingGrpc),
    listens: [['recording gRPC (Recorder; Recordings, public on 50051 too)', recordingGrpc]],
  },
  {
    name: 'mixer',
    entry: 'services/mixer/dist/src/main.js',
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: port('CALLCTL_MIXER_GRPC_PORT', 50070),
      NATS_URL: env.NATS_URL,
      // rtpengine (on this host) sends the participants' RTP here; outside its own 40000-44999.
      MIXER_RTP_HOST: '127.0.0.1',
      MIXER_RTP_PORT_MIN: port('CALLCTL_MIXER_RTP_MIN', 46000),
      MIXER_RTP_PORT_MAX: port('CALLCTL_MIXER_RTP_MAX', 46999),
      MIXER_INSTANCE: 'mixer-local',
    },
    ready: grpcHealthy(mixerGrpc),
    listens: [['mixer gRPC (internal: Mixer; RTP on 46000-46999)', mixerGrpc]],
  },
  {
    name: 'sip-engine',
    entry: 'services/sip-engine/dist/src/main.js',
    env: {
      SIP_UDP: sipListen,
      SIP_TCP: sipListen,
      // CALLCTL_DEV_SECURE_SIP=0 leaves TLS, WS and WSS off (e.g. when 5061 or 8443 is taken).
      ...(secureSip
        ? {
            SIP_TLS: sipTlsListen,
            SIP_WS: sipWsListen,
            SIP_WSS: sipWssListen,
            // drachtio-server's names for the certificate, which the engine reads too.
            DRACHTIO_TLS_CERT_FILE: devTls.certFile,
            DRACHTIO_TLS_KEY_FILE: devTls.keyFile,
            // TLS peers on this machine with a dev certificate (a phone the engine calls) verify.
            SIP_TLS_CA_FILE: devTls.caFile,
          }
        : {}),
      ADMIN: `127.0.0.1:${sipAdminPort}`,
      ADMIN_SECRET: sipAdminSecret,
      // sipp at tens of calls a second from this machine is a carrier, not a flood.
      SIP_FLOOD_EXEMPT_CIDRS: '127.0.0.1/32',
    },
    ready: tcpAccepting('127.0.0.1', sipAdminPort),
    listens: [
      ['SIP (UDP and TCP)', sipListen],
      ...(secureSip
        ? [
            ['SIP over TLS (sips:, dev certificate)', sipTlsListen],
            ['SIP over WebSocket (RFC 7118)', `ws://${sipWsListen}`],
            ['SIP over secure WebSocket (browsers)', `wss://${sipWssListen}`],
          ]
        : []),
      ['SIP engine admin (drachtio protocol)', `127.0.0.1:${sipAdminPort}`],
    ],
    howTo: [
      '',
      'Place a call (README "callctl" has the whole walk-through):',
      `  terminal 1: npx callctl watch`,
      `  terminal 2: mkdir -p /tmp/sipp && ln -sfn /usr/share/sip-tester /tmp/sipp/pcap && cd /tmp/sipp &&`,
      `              sipp -sn uac_pcap -s ivr -i 127.0.0.1 -p 5071 -m 1 ${sipListen}`,
      `  terminal 3: npx callctl answer <call> <leg>     (ids from the LegInitiated line)`,
      `              npx callctl collect <call> <leg> --max-digits 1 --first-timeout 15s \\`,
      `                --prompt 'say:Welcome to call control. Press a key.' --barge-in`,
      `              npx callctl record start <call>      (before the hangup: records what the caller sends)`,
      `              npx callctl hangup <call>`,
      `              npx callctl recordings download <recording> -o /tmp/call.wav   (after RecordingSaved)`,
      `  (the prompt is spoken by espeak-ng through the tts service; sipp sends the digit 1 about 8 s after`,
      `   the answer, which stops the prompt if it still plays; collect reports it as DigitsCollected.`,
      `   Files to play by id: ${mediaFilesDir}, or upload one with: npx callctl media upload <file>)`,
      '',
      'Register a phone (README "Register a phone"):',
      `  npx callctl domain put pbx.local && npx callctl user put alice@pbx.local --password 'a long secret'`,
      `  then set the phone to user alice, realm pbx.local, registrar ${sipListen}`,
      ...(secureSip ? secureSipHowTo : []),
    ],
  },
  {
    name: 'sip-edge',
    entry: 'services/sip-edge/dist/src/main.js',
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: port('CALLCTL_SIP_EDGE_GRPC_PORT', 50052),
      SIP_ENGINE_ADMIN: `127.0.0.1:${sipAdminPort}`,
      SIP_ENGINE_SECRET: sipAdminSecret,
      NATS_URL: env.NATS_URL,
      MEDIA_WORKER_GRPC: mediaWorkerGrpc,
      PROVISIONING_SECRETS_KEY: secretsKey,
      // make dev's sipp and phones call from loopback without a provisioned trunk.
      INBOUND_ALLOW_CIDRS: '127.0.0.1/32',
    },
    ready: grpcHealthy(sipEdgeGrpc),
    listens: [['sip-edge gRPC (internal)', sipEdgeGrpc]],
  },
  {
    name: 'call-orchestrator',
    entry: 'services/call-orchestrator/dist/src/main.js',
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: port('CALLCTL_ORCHESTRATOR_GRPC_PORT', 50051),
      DATABASE_URL: env.DATABASE_URL,
      NATS_URL: env.NATS_URL,
      SIP_EDGE_GRPC: sipEdgeGrpc,
      MEDIA_WORKER_GRPC: mediaWorkerGrpc,
      MEDIA_LIBRARY_GRPC: mediaLibraryGrpc,
      TTS_GRPC: ttsGrpc,
      RECORDING_GRPC: recordingGrpc,
      // Monitoring's mixer, while it announces nothing (services/mixer).
      MIXER_GRPC: `127.0.0.1:${port('CALLCTL_MIXER_GRPC_PORT', 50070)}`,
      // Media streams (services/stream-gateway) and SIPREC's wait for each SRS's answer.
      STREAM_GATEWAY_GRPC: streamGatewayGrpc,
      SIPREC_INVITE_TIMEOUT_MS: env.SIPREC_INVITE_TIMEOUT_MS ?? '8000',
      MEDIA_FILES_DIR: mediaFilesDir,
    },
    ready: grpcHealthy(orchestratorGrpc),
    listens: [['CallControl gRPC (public API)', orchestratorGrpc]],
  },
  {
    // The provisioning API (trunks, domains and users, routes): PostgreSQL is its record, and every
    // sip-edge sees each change through the KV bucket CALLCTL_PROVISIONING.
    name: 'provisioning',
    entry: 'services/provisioning/dist/src/main.js',
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: port('CALLCTL_PROVISIONING_GRPC_PORT', 50059),
      DATABASE_URL: env.DATABASE_URL,
      NATS_URL: env.NATS_URL,
      PROVISIONING_SECRETS_KEY: secretsKey,
    },
    ready: grpcHealthy(provisioningGrpc),
    listens: [['Provisioning gRPC (public API: callctl.v1.Provisioning)', provisioningGrpc]],
    howTo: [
      '',
      'Provision a phone and a carrier (README "Register a phone", "Connect a carrier"):',
      `  npx callctl domain put pbx.local && npx callctl user put alice@pbx.local --password alice-secret`,
      `  npx callctl trunk put carrier --source 127.0.0.2 --gateway 127.0.0.1:5090 --number '+44*'`,
      `  npx callctl route resolve tel:+442071234567    npx callctl resources    npx callctl audit`,
    ],
  },
  {
    // An application of the public API (services/callback): it drives calls through CallControl above,
    // so it comes after the orchestrator, and stops before it (supervisor/stop-order.ts).
    name: 'callback',
    entry: 'services/callback/dist/src/main.js',
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: port('CALLCTL_CALLBACK_GRPC_PORT', 50057),
      IIF_HOST: '127.0.0.1',
      IIF_PORT: callbackIifPort,
      DATABASE_URL: callbackDatabaseUrl,
      NATS_URL: env.NATS_URL,
      CALLCTL_API: orchestratorGrpc,
      // Requests from this machine (e.g. `nc -u`), under the peer name `dev`; `make dev` callers ring
      // sipp (or a softphone) on 127.0.0.1:5090.
      CALLBACK_IIF_PEERS: env.CALLBACK_IIF_PEERS ?? 'dev=127.0.0.1',
      CALLBACK_DIAL_PLAN: env.CALLBACK_DIAL_PLAN ?? 'sip:{user}@127.0.0.1:5090',
      CALLBACK_INSTANCE: 'callback-local',
    },
    ready: grpcHealthy(callbackGrpc),
    listens: [
      ['Callback gRPC (public API: callctl.v1.Callback)', callbackGrpc],
      ['Callback IIF (UDP, peers: 127.0.0.1)', `127.0.0.1:${callbackIifPort}`],
    ],
    howTo: [
      '',
      'Start a callback (README "Callbacks": it calls user1, then user2, and bridges them):',
      `  terminal 1: sipp -sf e2e/scenarios/callback-uas-answers-follows-reinvites-expect-bye.xml -i 127.0.0.1 -p 5090 -key rtp_port 6000`,
      `              (user1 and user2: answers both calls and follows the bridge's re-INVITEs)`,
      `  terminal 2: npx callctl callback watch`,
      `  terminal 3: printf 'REQUEST: id=1;user1=100;user2=101;duration=60;' | nc -u -w2 127.0.0.1 ${callbackIifPort}`,
      `              (prints ACK: id=1;code=ok; to see the RESPONSE too, keep nc open past the call:`,
      `               (printf 'REQUEST: id=2;user1=100;user2=101;duration=10;'; sleep 20) | nc -u 127.0.0.1 ${callbackIifPort})`,
      `          or: npx callctl callback start 100 101 --duration 60`,
      `              npx callctl callback list    npx callctl callback cancel <callback>`,
      `  (users are dialled as sip:<user>@127.0.0.1:5090 (CALLBACK_DIAL_PLAN); sipp does not hang up, so the`,
      `   call lasts the duration from user1's answer; RESPONSE: id=2;real_duration=10; (or 9) then comes back)`,
    ],
  },
  {
    // Last in this list only so that its how-to follows the call walk-through it builds on; the
    // orchestrator reaches it when a stream starts (STREAM_GATEWAY_GRPC), not at its own start.
    name: 'stream-gateway',
    entry: 'services/stream-gateway/dist/src/main.js',
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: port('CALLCTL_STREAM_GATEWAY_GRPC_PORT', 50058),
      NATS_URL: env.NATS_URL,
      MEDIA_WORKER_GRPC: mediaWorkerGrpc,
      // rtpengine (on this host) sends the forked RTP here; outside its own 40000-44999 and the mixer's.
      STREAM_RTP_HOST: '127.0.0.1',
      STREAM_RTP_PORT_MIN: port('CALLCTL_STREAM_RTP_MIN', 47000),
      STREAM_RTP_PORT_MAX: port('CALLCTL_STREAM_RTP_MAX', 47999),
      // The walk-through's receiver is a ws:// server on loopback; a deployment allows wss:// only.
      STREAM_ALLOW_INSECURE: 'true',
      STREAM_GATEWAY_INSTANCE: 'stream-gateway-local',
    },
    ready: grpcHealthy(streamGatewayGrpc),
    listens: [['stream-gateway gRPC (internal: StreamGateway; RTP on 47000-47999)', streamGatewayGrpc]],
    howTo: [
      '',
      'Stream a call to a WebSocket (README "Media streams"), once the call of the first walk-through is answered:',
      `  terminal 4: node deploy/local/stream-receiver.js          (ws://127.0.0.1:${streamReceiverPort}; prints each message)`,
      `  terminal 3: npx callctl stream start <call> ws://127.0.0.1:${streamReceiverPort}/media --param who=me`,
      `              npx callctl stream stop <call> <stream>       (or hang up: close reason call-ended)`,
      `  (add --bidirectional and run the receiver with --echo: what the caller says is played back to it)`,
    ],
  },
];

function stackSummary() {
  return [
    ['PostgreSQL (event log)', env.DATABASE_URL ?? ''],
    ['NATS JetStream', env.NATS_URL ?? ''],
    ['rtpengine ng', env.RTPENGINE_NG ?? ''],
  ];
}

module.exports = { services, stackSummary, prepareMedia, prepareCertificates, devTls };
