// Calls between a real phone (baresip.ts, linphone.ts) and sipp parties through the platform, over the
// public API: the phone calls in and is dialled through to a sipp callee, or a sipp caller is dialled
// through to the phone. The sipp parties follow every re-INVITE (hold-uas.xml and its caller twin) and log
// where they are told to send media; their RTP endpoint follows that log, so a test can move a party's media
// (a transfer bridges it elsewhere) and still hear it. What is opened is closed by the CallParties cleanUp.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toneRatio, waitFor, type RtpEndpoint, type RunningSipp } from '@callctl/testing';
import { CALLEE_HZ, CALLER_HZ, callParties, type CallParties } from './call-parties.js';
import { startPlatform, type PlatformOptions, type PlatformUnderTest } from './platform-under-test.js';
import type { SipEdgeSettings } from './services.js';

export const TONE_DETECTED = 0.5;
/** How often a party's RTP endpoint looks for a new media address in its sipp's log. */
const FOLLOW_INTERVAL_MS = 50;
/** PCMU's sample rate: what RtpEndpoint decodes to. */
const RATE_HZ = 8000;

/** What the call helpers need of a phone. */
export interface Phone {
  readonly uri: string;
  readonly toneHz: number;
  /** Places a call to `uri`. */
  dial(uri: string): Promise<unknown>;
  /** Goertzel ratio of `hz` in the last `ms` of what it decoded in its latest call. */
  recentToneRatio(hz: number, ms?: number): number;
  stop(): Promise<void>;
}

/** A sipp UA with its own RTP endpoint sending `hz`, sending wherever its SIP side was last told. */
export interface SippParty {
  sipp: RunningSipp;
  rtp: RtpEndpoint;
  hz: number;
  /**
   * Goertzel ratio of `hz` in what arrived at its endpoint over the last `ms` of wall time (0 when less than
   * half of that arrived): unlike RtpEndpoint.recentToneRatio (the last samples received, however old), a
   * party cut off by a hold or an unbridge hears nothing here, and a tone heard before does not linger.
   */
  recentToneRatio(hz: number, ms?: number): number;
  /** The lines of its log (-trace_logs) starting with `label` (e.g. `offered-direction`), in order. */
  logged(label: string): string[];
}

export interface PhoneCall {
  callId: string;
  /** The platform's leg of the phone. */
  phoneLeg: string;
  /** The sipp party's leg, bridged with the phone's. */
  peerLeg: string;
  peer: SippParty;
}

export interface PhoneCalls {
  /**
   * A sipp party following re-INVITEs: a callee at a port (hold-uas.xml), or (with `service`) a caller
   * calling the platform (uac-answered-follows-reinvites-expect-bye.xml); `scenario` another one that logs
   * "remote <ip> <port>" likewise, `args` more sipp arguments (e.g. `-key referto <uri>`).
   */
  party(
    name: string,
    hz: number,
    more?: { service?: string; scenario?: string; args?: string[] },
  ): Promise<SippParty>;
  /** The phone calls `sip:<service>@` the platform, which dials a sipp callee (1300 Hz) bridged with it. */
  phoneCallsThrough(phone: Phone, service: string): Promise<PhoneCall>;
  /** A sipp caller (700 Hz) calls `sip:<service>@`, and the platform dials the phone bridged with it. */
  callerDialledToPhone(phone: Phone, service: string): Promise<PhoneCall>;
  /** Dial of `toUri` bridged with the call's leg `bridgeWithLegId` (ringing 10 s at most); its leg id. */
  dialBridged(callId: string, bridgeWithLegId: string, toUri: string): Promise<string>;
  /** Waits until `b` hears `a` (a party's endpoint or a phone's recording). */
  hears(what: string, ratio: () => number, timeoutMs?: number): Promise<void>;
  /** The platform's URI of a service: `sip:<service>@127.0.0.1:<engine port>`. */
  platformUri(service: string): string;
}

export function phoneCalls(platform: () => PlatformUnderTest, parties: CallParties): PhoneCalls {
  const logs = mkdtempSync(join(tmpdir(), 'phone-calls-'));
  const platformUri = (service: string) => `sip:${service}@127.0.0.1:${platform().edge.engine.sipPort}`;

  const party: PhoneCalls['party'] = async (name, hz, { service, scenario, args = [] } = {}) => {
    const rtp = await parties.rtpEndpoint();
    const logFile = join(logs, `${name}-${Date.now()}.log`);
    const sipp = await parties.sipp(
      scenario ?? (service ? 'uac-answered-follows-reinvites-expect-bye.xml' : 'hold-uas.xml'),
      rtp.port,
      { ...(service ? { service } : {}), args: ['-trace_logs', '-log_file', logFile, ...args] },
    );
    const logged = (label: string) =>
      existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .split('\n')
            .filter((l) => l === label || l.startsWith(`${label} `))
        : [];
    // Send where the SIP side was told last; stops with the endpoint (its sends fail once it is closed).
    let following = '';
    const timer = setInterval(() => {
      // "remote" alone: a message without SDP (a late offer's INVITE, an ACK without answer).
      const last = logged('remote')
        .map((l) => /^remote (\d+\.\d+\.\d+\.\d+) (\d+)$/.exec(l.trim()))
        .filter((m) => m !== null)
        .at(-1);
      if (!last || last[0] === following) return;
      following = last[0];
      rtp.useRemote(`c=IN IP4 ${last[1]}\r\nm=audio ${last[2]} RTP/AVP 0\r\n`);
      rtp.changeTone(hz);
    }, FOLLOW_INTERVAL_MS);
    void sipp.result.finally(() => clearInterval(timer));
    const recentToneRatio = (tone: number, ms = 1000) => {
      const since = Date.now() - ms;
      let samples = 0;
      for (let i = rtp.arrivals.length - 1; i >= 0 && rtp.arrivals[i]!.at >= since; i--)
        samples += rtp.arrivals[i]!.samples;
      if (samples < (RATE_HZ * ms) / 1000 / 2) return 0;
      return toneRatio(rtp.received.slice(-samples), tone);
    };
    return { sipp, rtp, hz, recentToneRatio, logged };
  };

  const dialBridged: PhoneCalls['dialBridged'] = async (callId, bridgeWithLegId, toUri) =>
    (
      await platform().api.dial({
        callId,
        bridgeWithLegId,
        toUri,
        fromUri: '',
        ringTimeoutMs: 10_000,
        idempotencyKey: `dial-${callId}`,
      })
    ).legId;

  const hears: PhoneCalls['hears'] = async (what, ratio, timeoutMs = 10_000) => {
    await waitFor(what, () => ratio() > TONE_DETECTED, timeoutMs);
  };

  return {
    party,
    dialBridged,
    hears,
    platformUri,
    async phoneCallsThrough(phone, service) {
      const p = platform();
      const callee = await party(`${service}-callee`, CALLEE_HZ);
      await phone.dial(platformUri(service));
      const { callId, legId: phoneLeg } = await parties.inboundCall(service);
      const peerLeg = await dialBridged(callId, phoneLeg, `sip:callee@127.0.0.1:${callee.sipp.port}`);
      await p.event('legsBridged', (e) => e.event.legsBridged.callId === callId);
      await hears('the callee hearing the phone', () => callee.recentToneRatio(phone.toneHz));
      await hears('the phone hearing the callee', () => phone.recentToneRatio(CALLEE_HZ));
      return { callId, phoneLeg, peerLeg, peer: callee };
    },
    async callerDialledToPhone(phone, service) {
      const p = platform();
      const caller = await party(`${service}-caller`, CALLER_HZ, { service });
      const { callId, legId: peerLeg } = await parties.inboundCall(service);
      const phoneLeg = await dialBridged(callId, peerLeg, phone.uri);
      await p.event('legsBridged', (e) => e.event.legsBridged.callId === callId);
      await hears('the phone hearing the caller', () => phone.recentToneRatio(CALLER_HZ));
      await hears('the caller hearing the phone', () => caller.recentToneRatio(phone.toneHz));
      return { callId, phoneLeg, peerLeg, peer: caller };
    },
  };
}

export interface PhonesUnderTest {
  /** The file's platform (started in beforeAll). */
  p(): PlatformUnderTest;
  calls: PhoneCalls;
  parties: CallParties;
  /** Starts a phone in the file's folder (`start(dir)`); it is stopped after the case. */
  phone<T extends Phone>(start: (dir: string) => Promise<T>): Promise<T>;
}

/** How a phones file's platform differs from the default one. */
export interface PhonesPlatform {
  /** sip-edge's settings. */
  settings?: SipEdgeSettings;
  /** The fixtures' (e.g. `provisioning`); `orchestratorEnv` is merged into theirs. */
  fixtures?: PlatformOptions;
  /** Run once the platform is up, before the first case (e.g. provisioning its domain and users). */
  setUp?: (platform: PlatformUnderTest) => Promise<void>;
}

/**
 * A test file's (or describe block's) platform, phones and sipp parties: registers the jest hooks that start
 * the platform before its cases (with `orchestratorEnv`, e.g. REFER_POLICY, and `more` of PhonesPlatform),
 * stop the phones and parties after each case and close everything after the last.
 */
export function phonesUnderTest(
  name: string,
  orchestratorEnv: NodeJS.ProcessEnv = {},
  more: PhonesPlatform = {},
): PhonesUnderTest {
  let platform: PlatformUnderTest | undefined;
  let dir = '';
  const p = () => {
    if (!platform) throw new Error('the platform is started in beforeAll');
    return platform;
  };
  const parties = callParties(p);
  const phones: Phone[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${name}-`));
    platform = await startPlatform(more.settings, {
      ...more.fixtures,
      orchestratorEnv: { ...more.fixtures?.orchestratorEnv, ...orchestratorEnv },
    });
    await more.setUp?.(platform);
  });
  afterEach(async () => {
    await Promise.all(phones.splice(0).map((ph) => ph.stop()));
    await parties.cleanUp();
  });
  afterAll(async () => {
    await platform?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    p,
    calls: phoneCalls(p, parties),
    parties,
    async phone(start) {
      const started = await start(dir);
      phones.push(started);
      return started;
    },
  };
}
