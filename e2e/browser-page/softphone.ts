// The test page's softphone: JsSIP (bundled from node_modules by the test's page server) over WSS, with
// WebRTC audio from Chromium's fake microphone and WebAudio meters on what it sends and hears. The test
// drives it through `window.softphone` (e2e/support/browser/softphone-page.ts); every method settles or
// throws with the SIP cause, so a failure names what went wrong.
import JsSIP from 'jssip';
import type { DTMFOptions, RTCSession } from 'jssip/lib/RTCSession';
import { AudioMeter } from './audio-meter.js';
import { keepLoopbackCandidates } from './loopback-candidates.js';
import type { AudioReading } from './spectrum.js';

export interface RegisterOptions {
  wsUri: string;
  /** sip:user@domain */
  uri: string;
  password: string;
  expiresS?: number;
}

export interface SoftphoneApi {
  /** Tones (Hz) the meters report shares of. */
  setTones(tonesHz: number[]): void;
  register(o: RegisterOptions): Promise<void>;
  unregister(): Promise<void>;
  /** Calls `target`; resolves once the call is confirmed (2xx and ACK). */
  call(target: string): Promise<void>;
  /** Waits for an INVITE and answers it; resolves with its From once confirmed. */
  answerNext(timeoutMs: number): Promise<string>;
  sendDtmf(digits: string, transportType: 'RFC2833' | 'INFO'): void;
  hangup(): void;
  /** Frames of the call's received (remote) or sent (local) audio over the last `ms`. */
  heard(ms: number): AudioReading[];
  sent(ms: number): AudioReading[];
  /** Meters the microphone alone, without a call (the harness's own check). */
  meterMicrophone(): Promise<void>;
  /** The call's state: none, calling, confirmed, ended:<cause>, failed:<cause>. */
  callState(): string;
  /** The codec the call's connection sends with (its first audio codec in the agreed SDP), e.g. opus/48000. */
  callCodec(): string;
  /**
   * A direct WebRTC connection to another page, without SIP (the harness's own check of ICE over loopback
   * and of metering a remote track): `peerOffer` on one page, `peerAnswer` on the other, `peerAccept` back.
   * The descriptions carry every candidate (gathering is complete), loopback ones only.
   */
  peerOffer(): Promise<string>;
  peerAnswer(offer: string): Promise<string>;
  peerAccept(answer: string): Promise<void>;
}

declare global {
  interface Window {
    softphone: SoftphoneApi;
  }
}

// Chromium's default bundle policy (balanced): rtpengine's answers carry no a=group:BUNDLE, which a
// max-bundle connection refuses even for one audio section.
const RTC_CONFIGURATION: RTCConfiguration = { iceServers: [], rtcpMuxPolicy: 'require' };
const MEDIA = { audio: true, video: false };

let ua: JsSIP.UA | undefined;
let session: RTCSession | undefined;
let state = 'none';
let tones: number[] = [];
let heardMeter: AudioMeter | undefined;
let sentMeter: AudioMeter | undefined;
const incoming: RTCSession[] = [];
const context = new AudioContext();

JsSIP.debug.enable('JsSIP:*');

function meterSession(s: RTCSession): void {
  const pc = s.connection;
  const meterTracks = () => {
    const received = pc
      .getReceivers()
      .map((r) => r.track)
      .filter((t) => t.kind === 'audio');
    const sending = pc
      .getSenders()
      .map((r) => r.track)
      .filter((t): t is MediaStreamTrack => t?.kind === 'audio');
    if (received.length > 0 && !heardMeter) {
      heardMeter = new AudioMeter(context, new MediaStream(received), tones, { remote: true });
    }
    if (sending.length > 0 && !sentMeter) {
      sentMeter = new AudioMeter(context, new MediaStream(sending), tones, { remote: false });
    }
  };
  pc.addEventListener('track', meterTracks);
  // The connection's states in the page log, which a failing test prints.
  for (const kind of [
    'signalingstatechange',
    'icegatheringstatechange',
    'iceconnectionstatechange',
  ] as const) {
    pc.addEventListener(kind, () =>
      console.log(`pc ${pc.signalingState} gathering ${pc.iceGatheringState} ice ${pc.iceConnectionState}`),
    );
  }
  meterTracks();
}

function follow(s: RTCSession): Promise<void> {
  session = s;
  state = 'calling';
  heardMeter?.stop();
  sentMeter?.stop();
  heardMeter = sentMeter = undefined;
  s.on('sdp', (e) => {
    if (e.originator === 'local') e.sdp = keepLoopbackCandidates(e.sdp);
  });
  // Only a loopback candidate is sent: once one is gathered, waiting for the other interfaces' is pointless.
  s.on('icecandidate', (e: { candidate: RTCIceCandidate; ready: () => void }) => {
    console.log(`ice candidate ${e.candidate.candidate}`);
    if (e.candidate.address === '127.0.0.1' && e.candidate.protocol === 'udp') e.ready();
  });
  s.on('peerconnection', () => meterSession(s));
  if (s.connection) meterSession(s);
  s.on('ended', (e) => (state = `ended:${e.cause}`));
  return new Promise((resolve, reject) => {
    s.on('confirmed', () => {
      state = 'confirmed';
      resolve();
    });
    s.on('failed', (e) => {
      state = `failed:${e.cause}`;
      reject(new Error(`call failed: ${e.cause} (${e.originator})`));
    });
  });
}

let peer: RTCPeerConnection | undefined;

/** A peer connection sending the microphone and metering what it sends and hears. */
async function openPeer(): Promise<RTCPeerConnection> {
  await context.resume();
  const pc = new RTCPeerConnection(RTC_CONFIGURATION);
  const stream = await navigator.mediaDevices.getUserMedia(MEDIA);
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  sentMeter?.stop();
  sentMeter = new AudioMeter(context, stream, tones, { remote: false });
  pc.addEventListener('track', (e) => {
    heardMeter?.stop();
    heardMeter = new AudioMeter(context, new MediaStream([e.track]), tones, { remote: true });
  });
  peer = pc;
  return pc;
}

/** The local description once ICE gathering completed, loopback candidates only. */
async function gatheredDescription(pc: RTCPeerConnection): Promise<string> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      });
    });
  }
  return keepLoopbackCandidates(pc.localDescription!.sdp);
}

window.softphone = {
  setTones(tonesHz) {
    tones = tonesHz;
  },
  async register(o) {
    await context.resume();
    const socket = new JsSIP.WebSocketInterface(o.wsUri);
    const agent = new JsSIP.UA({
      sockets: [socket],
      uri: o.uri,
      password: o.password,
      // Registers once the WebSocket is up (a REGISTER sent before would fail as a transport error).
      register: true,
      register_expires: o.expiresS ?? 300,
      session_timers: false,
    });
    ua = agent;
    agent.on('newRTCSession', (e: { session: RTCSession; originator: string }) => {
      if (e.originator === 'remote') incoming.push(e.session);
    });
    const registered = new Promise<void>((resolve, reject) => {
      agent.on('registered', () => resolve());
      agent.on('registrationFailed', (e: { cause?: string; response?: { status_code: number } }) =>
        reject(new Error(`registration failed: ${e.response?.status_code ?? ''} ${e.cause ?? ''}`)),
      );
    });
    agent.start();
    await registered;
  },
  async unregister() {
    const agent = ua;
    if (!agent) return;
    await new Promise<void>((resolve) => {
      agent.on('unregistered', () => resolve());
      agent.unregister();
      setTimeout(resolve, 5000);
    });
    agent.stop();
  },
  async call(target) {
    if (!ua) throw new Error('not registered');
    await context.resume();
    const s = ua.call(target, { mediaConstraints: MEDIA, pcConfig: RTC_CONFIGURATION });
    await follow(s);
  },
  async answerNext(timeoutMs) {
    await context.resume();
    const deadline = Date.now() + timeoutMs;
    while (incoming.length === 0) {
      if (Date.now() > deadline) throw new Error(`no INVITE within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = incoming.shift()!;
    const confirmed = follow(s);
    // The platform's CreateCall INVITE carries no offer (the browser offers in its 200). JsSIP then leaves
    // audio out of its offer unless told the page wants to receive audio.
    s.answer({
      mediaConstraints: MEDIA,
      pcConfig: RTC_CONFIGURATION,
      rtcOfferConstraints: { offerToReceiveAudio: true },
    });
    await confirmed;
    return s.remote_identity.uri.toString();
  },
  sendDtmf(digits, transportType) {
    if (!session) throw new Error('no call');
    session.sendDTMF(digits, {
      transportType: transportType as unknown as DTMFOptions['transportType'],
      duration: 200,
      interToneGap: 100,
    });
  },
  hangup() {
    if (session && !session.isEnded()) session.terminate();
  },
  heard: (ms) => heardMeter?.recent(ms) ?? [],
  sent: (ms) => sentMeter?.recent(ms) ?? [],
  async meterMicrophone() {
    await context.resume();
    const stream = await navigator.mediaDevices.getUserMedia(MEDIA);
    sentMeter?.stop();
    sentMeter = new AudioMeter(context, stream, tones, { remote: false });
  },
  callState: () => state,
  callCodec() {
    const sdp = session?.connection?.currentRemoteDescription?.sdp ?? '';
    const payloadType = /^m=audio \S+ \S+ (\d+)/m.exec(sdp)?.[1];
    return new RegExp(`^a=rtpmap:${payloadType} (\\S+)`, 'm').exec(sdp)?.[1]?.toLowerCase() ?? '';
  },
  async peerOffer() {
    const pc = await openPeer();
    await pc.setLocalDescription(await pc.createOffer());
    return gatheredDescription(pc);
  },
  async peerAnswer(offer) {
    const pc = await openPeer();
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await pc.setLocalDescription(await pc.createAnswer());
    return gatheredDescription(pc);
  },
  async peerAccept(answer) {
    if (!peer) throw new Error('no peerOffer');
    await peer.setRemoteDescription({ type: 'answer', sdp: answer });
  },
};
