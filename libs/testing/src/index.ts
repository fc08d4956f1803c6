export { requireBinary, MissingBinaryError } from './binaries.js';
export { freePort, freePortBlock, isBound } from './ports.js';
export { startNatsServer, type NatsServerFixture, type NatsServerOptions } from './nats-server.js';
export { createTestDatabase, type TestDatabase } from './database.js';
export { startRtpengine, type RtpengineFixture, type RtpengineFixtureOptions } from './rtpengine.js';
export { startProcess, type ManagedProcess } from './process.js';
export { waitFor } from './wait-for.js';
export {
  runSipp,
  startSipp,
  type RunningSipp,
  type SippOptions,
  type SippResult,
  type SippTransport,
} from './sipp.js';
export { seededRandom } from './seeded-random.js';
export { RtpEndpoint, toneRatio, encodeMulaw, decodeMulaw, type RtpArrival } from './rtp-endpoint.js';
export {
  DTMF_EVENT_KEYS,
  buildRtpPacket,
  dtmfEventCode,
  parseRtpPacket,
  parseTelephoneEvent,
  telephoneEventPayload,
  type RtpHeader,
  type RtpPacket,
  type TelephoneEvent,
} from './rtp-packet.js';
export { makeToneFile, type ToneFileOptions } from './tone-file.js';
export {
  cpuMs,
  firstLines,
  idleMs,
  inParallel,
  maxRate,
  processUdpDrops,
  sustainedRate,
  udpDrops,
  type MaxRate,
  type Step,
} from './bench-measures.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export {
  CodecEndpoint,
  DECODED_SAMPLE_RATE,
  RTP_CODECS,
  decodePayloads,
  encodeFrames,
  oggOpus,
  oggPackets,
  type RtpCodec,
  type RtpCodecName,
} from './codec-capture.js';
export { readWav, type WavContents } from './wav-reader.js';
export {
  startOtlpReceiver,
  decodeExportRequest,
  OTLP_SPAN_KIND,
  type OtlpReceiver,
  type ReceivedSpan,
} from './otlp-receiver.js';
export {
  makeCertificateAuthority,
  type CertificateFiles,
  type LeafOptions,
  type TestCertificateAuthority,
} from './certificates.js';
export { watchEventLoopStalls, type EventLoopStalls } from './event-loop-stalls.js';
export { grpcCall, startMediaStack, type ConnectedCall, type MediaStack } from './media-stack.js';
export { loopbackAudioSdp, recorderAnswerSdp, telephoneEventFormat, type SdpFormat } from './loopback-sdp.js';
export { startKamailio, type KamailioProcess, type KamailioSite } from './kamailio.js';
export {
  startKamailioRegistrar,
  startKamailioGateway,
  startKamailioUacRegistration,
  parseLocations,
  type KamailioAccount,
  type KamailioContact,
  type KamailioRegistrar,
  type KamailioRegistrarOptions,
  type KamailioGateway,
  type KamailioGatewayOptions,
  type KamailioUacRegistration,
  type KamailioUacRegistrationOptions,
} from './kamailio-peers.js';
export {
  dnsmasqRecordArgs,
  startDnsmasq,
  type DnsmasqFixture,
  type DnsmasqOptions,
  type HostEntry,
  type NaptrEntry,
  type SrvEntry,
} from './dnsmasq.js';
export { runSipsak, type SipsakOptions, type SipsakResult } from './sipsak.js';
