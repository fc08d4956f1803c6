// The parties of a test file's calls: sipp phones whose RTP is an endpoint the test owns (RtpEndpoint for
// PCMU, CodecEndpoint for another codec), a caller bridged to a callee with each sending its tone, an
// inbound caller answered by the application. What a case opens is closed by cleanUp (afterEach).
import { join } from 'node:path';
import type { callControl, callEvents } from '@callctl/proto';
import {
  CodecEndpoint,
  RTP_CODECS,
  RtpEndpoint,
  encodeFrames,
  makeToneFile,
  startSipp,
  waitFor,
  type RunningSipp,
} from '@callctl/testing';
import type { PlatformUnderTest } from './platform-under-test.js';

const SCENARIOS = join(__dirname, '..', 'scenarios');
/** The caller's and the callee's tones in every connected call. */
export const CALLER_HZ = 700;
export const CALLEE_HZ = 1300;
/** A third party's tone (a monitor's supervisor, a three-way participant). */
export const THIRD_HZ = 2000;
/** One tone alone in what an endpoint hears. */
export const TONE_DETECTED = 0.5;
/** One of two equally loud tones mixed: each holds about half the power. */
export const TONE_PRESENT = 0.25;
/** Under 5 % of the power at that frequency. */
export const TONE_ABSENT = 0.05;
export const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
/** RtpEndpoint.startTone's default peak. */
const TONE_PEAK = 8000;

export type CallerCodec = 'G722' | 'opus';

/** A party's sipp other than the default: its scenario, and more arguments (e.g. -trace_logs). */
export interface PartyScenario {
  scenario: string;
  args?: string[];
}

export interface ConnectedCall {
  callId: string;
  callerLeg: string;
  calleeLeg: string;
  callerRtp: RtpEndpoint | CodecEndpoint;
  calleeRtp: RtpEndpoint;
}

export interface CallParties {
  rtpEndpoint(): Promise<RtpEndpoint>;
  /** sipp with `-key rtp_port`; with a service, a UAC calling the platform, else a UAS at its port. */
  sipp(scenario: string, rtpPort: number, more?: { service?: string; args?: string[] }): Promise<RunningSipp>;
  /** Where a leg's media is (its LegInitiated). */
  mediaOf(legId: string): Promise<callEvents.MediaParty>;
  /** The LegInitiated of the inbound call to `sip:<service>@`. */
  inboundCall(service: string): Promise<callEvents.LegInitiated>;
  /**
   * A caller (PCMU from an RtpEndpoint, or `callerCodec` from a CodecEndpoint) dialled through to a PCMU
   * callee; both answered, the caller sending 700 Hz and the callee 1300 Hz, and the callee hearing it.
   */
  connectedCall(
    service: string,
    callerCodec?: CallerCodec,
    scenarios?: { caller?: PartyScenario; callee?: PartyScenario },
  ): Promise<ConnectedCall>;
  /** A leg as GetCall shows it now. */
  legOf(callId: string, legId: string): Promise<callControl.Leg | undefined>;
  /** An inbound caller answered by the application (an IVR leg), sending nothing yet. */
  answeredCaller(service: string): Promise<{ callId: string; legId: string; rtp: RtpEndpoint }>;
  /** Stops the sipps and closes the endpoints opened since the last cleanUp. */
  cleanUp(): Promise<void>;
}

/** `platform` is read at each use: the file's platform is started in beforeAll. */
export function callParties(platform: () => PlatformUnderTest): CallParties {
  const sipps: RunningSipp[] = [];
  const endpoints: Array<{ close(): Promise<void> | void }> = [];

  const rtpEndpoint = async () => {
    const e = await RtpEndpoint.open();
    endpoints.push(e);
    return e;
  };
  const sipp: CallParties['sipp'] = async (scenario, rtpPort, more = {}) => {
    const p = platform();
    const run = await startSipp({
      scenario: join(SCENARIOS, scenario),
      ...(more.service ? { remote: `127.0.0.1:${p.edge.engine.sipPort}`, service: more.service } : {}),
      args: ['-key', 'rtp_port', String(rtpPort), ...(more.args ?? [])],
      timeoutMs: 120_000,
    });
    sipps.push(run);
    return run;
  };
  const mediaOf = async (legId: string) => {
    const initiated = await platform().event('legInitiated', (e) => e.event.legInitiated.legId === legId);
    const media = initiated.event.legInitiated.media;
    if (!media?.sessionId) throw new Error(`LegInitiated of ${legId} names no media`);
    return media;
  };
  const inboundCall = async (service: string) => {
    const inbound = await platform().event('legInitiated', (e) =>
      e.event.legInitiated.toUri.includes(`sip:${service}@`),
    );
    return inbound.event.legInitiated;
  };

  async function connectedCall(
    service: string,
    callerCodec?: CallerCodec,
    scenarios: { caller?: PartyScenario; callee?: PartyScenario } = {},
  ): Promise<ConnectedCall> {
    const p = platform();
    const calleeRtp = await rtpEndpoint();
    const callee = await sipp(scenarios.callee?.scenario ?? 'uas-answers-expect-bye.xml', calleeRtp.port, {
      args: scenarios.callee?.args ?? [],
    });
    let callerRtp: RtpEndpoint | CodecEndpoint;
    if (callerCodec) {
      const codecRtp = await CodecEndpoint.open(callerCodec);
      endpoints.push({ close: () => codecRtp.close() });
      callerRtp = codecRtp;
      const spec = RTP_CODECS[callerCodec];
      await sipp('uac-one-codec-expect-bye.xml', codecRtp.port, {
        service,
        args: [
          ...['-key', 'codec_pt', String(spec.payloadType)],
          ...['-key', 'codec_rtpmap', spec.rtpmap],
          ...['-key', 'codec_attribute', spec.fmtp ? `fmtp:${spec.payloadType} ${spec.fmtp}` : 'ptime:20'],
          ...['-key', 'event_rate', String(spec.clockRate)],
        ],
      });
    } else {
      callerRtp = await rtpEndpoint();
      await sipp(scenarios.caller?.scenario ?? 'uac-answered-expect-bye.xml', callerRtp.port, {
        service,
        args: scenarios.caller?.args ?? [],
      });
    }
    const { callId, legId: callerLeg } = await inboundCall(service);
    const { legId: calleeLeg } = await p.api.dial({
      callId,
      bridgeWithLegId: callerLeg,
      toUri: `sip:callee@127.0.0.1:${callee.port}`,
      fromUri: '',
      ringTimeoutMs: 10_000,
      idempotencyKey: `dial-${callId}`,
    });
    await p.event('legsBridged', (e) => e.event.legsBridged.callId === callId);
    callerRtp.useRemote(await p.edge.rtpengineSideOf(await mediaOf(callerLeg)));
    calleeRtp.useRemote(await p.edge.rtpengineSideOf(await mediaOf(calleeLeg)));
    if (callerRtp instanceof CodecEndpoint) {
      // As loud as the PCMU parties' tones (RtpEndpoint's peak of 8000): a mix of them holds each equally.
      const file = makeToneFile(p.edge.dir, `caller-${callerCodec}-${CALLER_HZ}.wav`, 2, CALLER_HZ, {
        rateHz: callerCodec === 'G722' ? 16000 : 48000,
        volume: TONE_PEAK / 32767,
      });
      callerRtp.startAudio(await encodeFrames(callerCodec!, file));
    } else callerRtp.startTone(CALLER_HZ);
    calleeRtp.startTone(CALLEE_HZ);
    // Both directions flow before the test measures anything.
    await waitFor(
      'the caller heard by the callee',
      () => calleeRtp.recentToneRatio(CALLER_HZ) > TONE_DETECTED,
      10_000,
    );
    return { callId, callerLeg, calleeLeg, callerRtp, calleeRtp };
  }

  async function answeredCaller(service: string) {
    const p = platform();
    const rtp = await rtpEndpoint();
    await sipp('uac-answered-expect-bye.xml', rtp.port, { service });
    const { callId, legId, media } = await inboundCall(service);
    await p.api.answerLeg({ callId, legId });
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    rtp.useRemote(await p.edge.rtpengineSideOf(media!));
    return { callId, legId, rtp };
  }

  const legOf = async (callId: string, legId: string) => {
    const { call } = await platform().api.getCall({ callId });
    return call!.legs.find((leg) => leg.legId === legId);
  };

  return {
    rtpEndpoint,
    sipp,
    mediaOf,
    inboundCall,
    connectedCall,
    answeredCaller,
    legOf,
    async cleanUp() {
      await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
      await Promise.all(endpoints.splice(0).map((e) => e.close()));
    },
  };
}

/**
 * Waits until `check` holds of what `rtp` heard over its last 400 ms (5 s at most), failing with the ratios
 * of the `tones` heard.
 */
export const hears = (
  label: string,
  rtp: RtpEndpoint,
  check: (ratio: (hz: number) => number) => boolean,
  tones: readonly number[],
) =>
  waitFor(label, () => check((hz) => rtp.recentToneRatio(hz)), 5000).catch((error: unknown) => {
    const heard = tones.map((hz) => `${hz} Hz ${rtp.recentToneRatio(hz).toFixed(2)}`);
    throw new Error(`${String(error)}: heard ${heard.join(', ')}`);
  });

/** Both parties of a connected call (a PCMU caller) still hear each other: the call's own audio goes on. */
export async function hearEachOther(call: ConnectedCall): Promise<void> {
  if (!(call.callerRtp instanceof RtpEndpoint)) throw new Error('a PCMU caller is needed here');
  await hears('the caller hears the callee', call.callerRtp, (r) => r(CALLEE_HZ) > TONE_DETECTED, [
    CALLEE_HZ,
  ]);
  await hears('the callee hears the caller', call.calleeRtp, (r) => r(CALLER_HZ) > TONE_DETECTED, [
    CALLER_HZ,
  ]);
}
