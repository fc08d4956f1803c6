// Monitoring (issue 15) through the public API, with real sipp callers, callees and supervisors whose RTP
// the test owns, rtpengine, the mixer service, NATS and PostgreSQL: a supervisor dialled into a connected
// call listens (a mix of forks of both parties; the parties' path untouched), whispers to the callee, barges
// in, and switches between them within 200 ms and without gaps; the call ending, a busy supervisor, a
// monitor asked for before the answer, a transcoded call, the mixer killed mid-whisper, recording at the
// same time, and bad input. Caller 700 Hz, callee 1300 Hz, supervisor 2000 Hz.
import { createRecordingsClient, NO_RETRIES, type RecordingsClient } from '@callctl/client';
import { callControl, callEvents } from '@callctl/proto';
import {
  type CodecEndpoint,
  RtpEndpoint,
  toneRatio,
  waitFor,
  watchEventLoopStalls,
  type RunningSipp,
} from '@callctl/testing';
import {
  CALLEE_HZ,
  CALLER_HZ,
  callParties,
  hears as hearsTones,
  sleep,
  THIRD_HZ,
  TONE_ABSENT,
  TONE_DETECTED,
  TONE_PRESENT,
  type ConnectedCall,
} from '../support/call-parties.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { readRecordedWav, window8k } from '../support/recorded-wav.js';
import { firstRun, packetTones, windowStats } from '../support/rtp-arrivals.js';

jest.setTimeout(60_000);

const SUPERVISOR_HZ = THIRD_HZ;
/** The bounds. */
const SWITCH_MS = 200;
const MAX_GAP_MS = 60;
const RESTORE_MS = 2000;
const MODE = callEvents.MonitorMode;
const END = callEvents.MonitorEndReason;

/**
 * The parties' RTP is sent and timed in this process: a stall of its event loop (GC, the two cores busy with
 * other work) shows as a gap or as jitter the platform did not make. Bounds widen by the stalls measured
 * inside the window they judge: a gap may be 20 ms (one packet) shorter than the stall it contains.
 */
const stalls = watchEventLoopStalls();
afterAll(() => stalls.stop());
const gapBound = (from: number, to: number) => MAX_GAP_MS + Math.max(0, stalls.longestWithin(from, to) - 20);
/** RFC 3550 jitter moves by 1/16 of a transit change: a stall adds at most that much per late packet. */
const jitterAllowance = (from: number, to: number) => stalls.longestWithin(from, to) / 8;

describe('monitoring through the public API', () => {
  let p: PlatformUnderTest;
  let recordings: RecordingsClient;
  const parties = callParties(() => p);
  const { rtpEndpoint, sipp, mediaOf, inboundCall, connectedCall, legOf } = parties;

  beforeAll(async () => {
    p = await startPlatform({}, { recording: true, mixer: true });
    recordings = createRecordingsClient({
      address: `127.0.0.1:${p.orchestrator.grpcPort}`,
      deadlineMs: 30_000,
      retry: NO_RETRIES,
    });
  }, 60_000);
  afterEach(() => parties.cleanUp());
  afterAll(async () => {
    recordings?.close();
    await p?.close();
  });

  interface Supervisor {
    monitorId: string;
    /** The supervisor's sipp: a UAS that answers (or is busy) and expects the platform's BYE. */
    sipp: RunningSipp;
    rtp: RtpEndpoint;
  }

  /** A supervisor's phone (sipp UAS at an RtpEndpoint) and MonitorCall dialling it. */
  async function monitorCall(
    callId: string,
    mode: callEvents.MonitorMode,
    options: { whisperLegId?: string; scenario?: string } = {},
  ): Promise<Supervisor> {
    const rtp = await rtpEndpoint();
    const phone = await sipp(options.scenario ?? 'uas-answers-expect-bye.xml', rtp.port);
    const { monitorId } = await p.api.monitorCall({
      callId,
      supervisorUri: `sip:supervisor@127.0.0.1:${phone.port}`,
      mode,
      whisperLegId: options.whisperLegId ?? '',
      fromUri: '',
      ringTimeoutMs: 10_000,
      idempotencyKey: `monitor-${callId}-${phone.port}`,
    });
    expect(monitorId).toBeTruthy();
    return { monitorId, sipp: phone, rtp };
  }

  /** Waits for MonitorStarted, then the supervisor sends 2000 Hz to where rtpengine receives its leg. */
  async function supervisorAnswered(supervisor: Supervisor): Promise<string> {
    const started = await p.event(
      'monitorStarted',
      (e) => e.event.monitorStarted.monitorId === supervisor.monitorId,
    );
    const legId = started.event.monitorStarted.supervisorLegId;
    supervisor.rtp.useRemote(await p.edge.rtpengineSideOf(await mediaOf(legId)));
    supervisor.rtp.startTone(SUPERVISOR_HZ);
    return legId;
  }

  const monitorEnded = (monitorId: string) =>
    p.event('monitorEnded', (e) => e.event.monitorEnded.monitorId === monitorId, 15_000);

  const hears = (label: string, rtp: RtpEndpoint, check: (ratio: (hz: number) => number) => boolean) =>
    hearsTones(label, rtp, check, [CALLER_HZ, CALLEE_HZ, SUPERVISOR_HZ]);

  /** A PCMU party of a connected call (the tests use a PCMU caller unless they transcode). */
  const pcmu = (rtp: RtpEndpoint | CodecEndpoint): RtpEndpoint => {
    if (!(rtp instanceof RtpEndpoint)) throw new Error('a PCMU endpoint is needed here');
    return rtp;
  };

  /**
   * SetMonitorMode, then how long (from the request) until `rtp` received the change: the first packet of a
   * run of five in which SUPERVISOR_HZ is present (`appears`) or absent.
   */
  async function switchMode(
    call: ConnectedCall,
    monitorId: string,
    mode: callEvents.MonitorMode,
    watch: { rtp: RtpEndpoint; appears: boolean },
    whisperLegId = '',
  ): Promise<{ at: number; tookMs: number }> {
    const at = Date.now();
    await p.api.setMonitorMode({ callId: call.callId, monitorId, mode, whisperLegId });
    await p.event(
      'monitorModeChanged',
      (e) => e.event.monitorModeChanged.monitorId === monitorId && e.event.monitorModeChanged.mode === mode,
    );
    const holds = watch.appears ? (r: number) => r > TONE_PRESENT : (r: number) => r < TONE_ABSENT;
    const changedAt = await waitFor(
      `the supervisor ${watch.appears ? 'heard' : 'gone'} after the switch`,
      () => firstRun(packetTones(watch.rtp, SUPERVISOR_HZ), at, holds),
      5000,
      20,
    );
    return { at, tookMs: changedAt - at };
  }

  /** The longest gap in each party's received RTP over `[from, to)`. */
  const partyGaps = (call: ConnectedCall, from: number, to: number) => ({
    caller: windowStats(pcmu(call.callerRtp).arrivals, from, to).maxGapMs,
    callee: windowStats(call.calleeRtp.arrivals, from, to).maxGapMs,
  });

  it('listens without touching the call, whispers to the callee, barges in and back, each switch within 200 ms and gapless; the call ending hangs the supervisor up', async () => {
    const call = await connectedCall('mon-modes');
    const caller = pcmu(call.callerRtp);
    await sleep(2000);
    const joinAt = Date.now();
    const beforeCaller = windowStats(caller.arrivals, joinAt - 2000, joinAt);
    const beforeCallee = windowStats(call.calleeRtp.arrivals, joinAt - 2000, joinAt);

    // Listen: the supervisor hears both parties; neither party hears the supervisor.
    const supervisor = await monitorCall(call.callId, MODE.MONITOR_MODE_LISTEN);
    const requested = await p.event(
      'monitorRequested',
      (e) => e.event.monitorRequested.monitorId === supervisor.monitorId,
    );
    expect(requested.event.monitorRequested).toMatchObject({ mode: MODE.MONITOR_MODE_LISTEN });
    const supervisorLeg = await supervisorAnswered(supervisor);
    expect(await legOf(call.callId, supervisorLeg)).toMatchObject({
      role: callEvents.LegRole.LEG_ROLE_SUPERVISOR,
      monitorId: supervisor.monitorId,
      state: callControl.LegState.LEG_STATE_ANSWERED,
    });
    await hears(
      'the supervisor hears both parties',
      supervisor.rtp,
      (r) => r(CALLER_HZ) > TONE_PRESENT && r(CALLEE_HZ) > TONE_PRESENT,
    );
    const listenAt = Date.now();
    await sleep(2000);
    expect(caller.recentToneRatio(SUPERVISOR_HZ, 2000)).toBeLessThan(TONE_ABSENT);
    expect(call.calleeRtp.recentToneRatio(SUPERVISOR_HZ, 2000)).toBeLessThan(TONE_ABSENT);
    // The parties' packets from just before MonitorCall (the forks, the supervisor's routing) to 2 s after
    // the supervisor heard them are as before it: as many a second, as regular, from the same streams.
    const joinedAt = [joinAt, listenAt + 2000] as const;
    const afterCaller = windowStats(caller.arrivals, ...joinedAt);
    const afterCallee = windowStats(call.calleeRtp.arrivals, ...joinedAt);
    const per2s = (packets: number) => (packets * 2000) / (joinedAt[1] - joinedAt[0]);
    for (const [before, after] of [
      [beforeCaller, afterCaller],
      [beforeCallee, afterCallee],
    ] as const) {
      expect(Math.abs(per2s(after.packets) - before.packets)).toBeLessThanOrEqual(3);
      expect(before.packets).toBeGreaterThanOrEqual(97);
      expect(after.maxJitterMs).toBeLessThanOrEqual(
        Math.max(2 * before.maxJitterMs, before.maxJitterMs + 3) + jitterAllowance(...joinedAt),
      );
      expect(after.maxGapMs).toBeLessThanOrEqual(gapBound(...joinedAt));
      expect(after.ssrcs).toEqual(before.ssrcs);
    }

    // Whisper to the callee: the callee hears the supervisor, the caller does not, the supervisor hears both.
    const toWhisper = await switchMode(
      call,
      supervisor.monitorId,
      MODE.MONITOR_MODE_WHISPER,
      { rtp: call.calleeRtp, appears: true },
      call.calleeLeg,
    );
    await sleep(1000);
    expect(call.calleeRtp.recentToneRatio(SUPERVISOR_HZ)).toBeGreaterThan(TONE_PRESENT);
    expect(call.calleeRtp.recentToneRatio(CALLER_HZ)).toBeGreaterThan(TONE_PRESENT);
    expect(caller.recentToneRatio(SUPERVISOR_HZ, 1000)).toBeLessThan(TONE_ABSENT);
    expect(caller.recentToneRatio(CALLEE_HZ)).toBeGreaterThan(TONE_DETECTED);
    // The callee's leg now goes through the mixer, so what the supervisor hears of the parties moves too:
    // awaited, not sampled at one instant (on a loaded CI box the move fell in the 400 ms window once).
    await hears(
      'the supervisor hears both parties while whispering',
      supervisor.rtp,
      (r) => r(CALLER_HZ) > TONE_PRESENT && r(CALLEE_HZ) > TONE_PRESENT,
    );

    // Barge: both parties hear the supervisor (and still each other).
    const toBarge = await switchMode(call, supervisor.monitorId, MODE.MONITOR_MODE_BARGE, {
      rtp: caller,
      appears: true,
    });
    await sleep(1000);
    for (const [party, other] of [
      [caller, CALLEE_HZ],
      [call.calleeRtp, CALLER_HZ],
    ] as const) {
      expect(party.recentToneRatio(SUPERVISOR_HZ)).toBeGreaterThan(TONE_PRESENT);
      expect(party.recentToneRatio(other)).toBeGreaterThan(TONE_PRESENT);
    }

    // Back to listen: nobody hears the supervisor any more, the parties still hear each other.
    const toListen = await switchMode(call, supervisor.monitorId, MODE.MONITOR_MODE_LISTEN, {
      rtp: caller,
      appears: false,
    });
    await sleep(1000);
    expect(call.calleeRtp.recentToneRatio(SUPERVISOR_HZ)).toBeLessThan(TONE_ABSENT);
    expect(caller.recentToneRatio(CALLEE_HZ)).toBeGreaterThan(TONE_DETECTED);
    expect(call.calleeRtp.recentToneRatio(CALLER_HZ)).toBeGreaterThan(TONE_DETECTED);

    // Each switch heard within 200 ms of the request, with no gap over 60 ms at either party around it.
    const switches = Object.entries({ toWhisper, toBarge, toListen }).map(([name, change]) => {
      const gaps = partyGaps(call, change.at - 500, change.at + 1000);
      const boundMs = gapBound(change.at - 500, change.at + 1000);
      return { name, tookMs: change.tookMs, gapMs: Math.max(gaps.caller, gaps.callee), boundMs, gaps };
    });
    // The figures, for the report.
    console.log(
      JSON.stringify({ switches, listen: { beforeCaller, afterCaller, beforeCallee, afterCallee } }),
    );
    expect(switches.filter((s) => s.tookMs > SWITCH_MS || s.gapMs > s.boundMs)).toEqual([]);

    // The call ends: the supervisor gets a BYE (its sipp completes) and the monitor ends with CALL_ENDED.
    await p.api.hangup({ callId: call.callId });
    const ended = await monitorEnded(supervisor.monitorId);
    expect(ended.event.monitorEnded.reason).toBe(END.MONITOR_END_REASON_CALL_ENDED);
    const phone = await supervisor.sipp.result;
    p.edge.expectSippSucceeded(phone);
    expect(phone.successfulCalls).toBe(1);
    expect(await legOf(call.callId, supervisorLeg)).toMatchObject({
      state: callControl.LegState.LEG_STATE_ENDED,
    });
  });

  it('a busy supervisor ends the monitor with SUPERVISOR_BUSY and leaves the call as it was', async () => {
    const call = await connectedCall('mon-busy');
    const supervisor = await monitorCall(call.callId, MODE.MONITOR_MODE_LISTEN, { scenario: 'uas-busy.xml' });
    const ended = await monitorEnded(supervisor.monitorId);
    expect(ended.event.monitorEnded).toMatchObject({
      reason: END.MONITOR_END_REASON_SUPERVISOR_BUSY,
      sipStatus: 486,
    });
    expect(p.eventsOf(call.callId).some((e) => e.event?.$case === 'monitorStarted')).toBe(false);
    // The parties still hear each other, and neither leg ended.
    const from = Date.now();
    await sleep(1000);
    const to = Date.now();
    const gaps = partyGaps(call, from, to);
    expect(Math.max(gaps.caller, gaps.callee)).toBeLessThanOrEqual(gapBound(from, to));
    expect(pcmu(call.callerRtp).recentToneRatio(CALLEE_HZ)).toBeGreaterThan(TONE_DETECTED);
    expect(call.calleeRtp.recentToneRatio(CALLER_HZ)).toBeGreaterThan(TONE_DETECTED);
    for (const legId of [call.callerLeg, call.calleeLeg])
      expect(await legOf(call.callId, legId)).toMatchObject({
        state: callControl.LegState.LEG_STATE_ANSWERED,
      });
    await p.api.hangup({ callId: call.callId });
  });

  it('dials a supervisor asked for before the answer only once the call is answered', async () => {
    const callerRtp = await rtpEndpoint();
    await sipp('uac-answered-expect-bye.xml', callerRtp.port, { service: 'mon-early' });
    const { callId, legId, media } = await inboundCall('mon-early');
    const supervisor = await monitorCall(callId, MODE.MONITOR_MODE_LISTEN);
    await p.event('monitorRequested', (e) => e.event.monitorRequested.monitorId === supervisor.monitorId);
    await sleep(1000);
    const supervisorLegs = () =>
      p
        .eventsOf(callId)
        .filter(
          (e) => e.event?.$case === 'legInitiated' && e.event.legInitiated.monitorId === supervisor.monitorId,
        );
    expect(supervisorLegs()).toEqual([]);

    await p.api.answerLeg({ callId, legId });
    const answered = await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    callerRtp.useRemote(await p.edge.rtpengineSideOf(media!));
    callerRtp.startTone(CALLER_HZ);
    await supervisorAnswered(supervisor);
    const [dialled] = supervisorLegs();
    expect(dialled!.envelope!.recordedAt!.getTime()).toBeGreaterThanOrEqual(
      answered.envelope!.recordedAt!.getTime(),
    );
    await hears('the supervisor hears the caller', supervisor.rtp, (r) => r(CALLER_HZ) > TONE_DETECTED);
    expect(callerRtp.recentToneRatio(SUPERVISOR_HZ)).toBeLessThan(TONE_ABSENT);
    await p.api.hangup({ callId });
    expect((await monitorEnded(supervisor.monitorId)).event.monitorEnded.reason).toBe(
      END.MONITOR_END_REASON_CALL_ENDED,
    );
  });

  it('whispers on a transcoded call (a G.722 caller, a PCMU callee): every tone where it belongs', async () => {
    const call = await connectedCall('mon-g722', 'G722');
    const caller = call.callerRtp as CodecEndpoint;
    const supervisor = await monitorCall(call.callId, MODE.MONITOR_MODE_WHISPER, {
      whisperLegId: call.calleeLeg,
    });
    await supervisorAnswered(supervisor);
    await hears(
      'the callee hears the caller and the supervisor',
      call.calleeRtp,
      (r) => r(SUPERVISOR_HZ) > TONE_PRESENT && r(CALLER_HZ) > TONE_PRESENT,
    );
    await hears(
      'the supervisor hears both parties',
      supervisor.rtp,
      (r) => r(CALLER_HZ) > TONE_PRESENT && r(CALLEE_HZ) > TONE_PRESENT,
    );
    // What the G.722 caller hears, decoded: the callee, not the supervisor.
    caller.clearReceived();
    await sleep(1500);
    const heard = (await caller.decodeReceived()).slice(1600);
    expect(heard.length).toBeGreaterThan(4000);
    expect(toneRatio(heard, CALLEE_HZ)).toBeGreaterThan(TONE_DETECTED);
    expect(toneRatio(heard, SUPERVISOR_HZ)).toBeLessThan(TONE_ABSENT);
    await p.api.hangup({ callId: call.callId });
    await monitorEnded(supervisor.monitorId);
  });

  it('records and monitors one call at once: the recording holds each party alone, the monitor works', async () => {
    const call = await connectedCall('mon-recorded');
    const { recordingId } = await p.api.startRecording({
      callId: call.callId,
      channels: callEvents.RecordingChannels.RECORDING_CHANNELS_DUAL,
      idempotencyKey: `rec-${call.callId}`,
    });
    await p.event('recordingStarted', (e) => e.event.recordingStarted.recordingId === recordingId);
    const supervisor = await monitorCall(call.callId, MODE.MONITOR_MODE_WHISPER, {
      whisperLegId: call.calleeLeg,
    });
    await supervisorAnswered(supervisor);
    await hears('the callee hears the supervisor', call.calleeRtp, (r) => r(SUPERVISOR_HZ) > TONE_PRESENT);
    await hears(
      'the supervisor hears both parties',
      supervisor.rtp,
      (r) => r(CALLER_HZ) > TONE_PRESENT && r(CALLEE_HZ) > TONE_PRESENT,
    );
    await sleep(1500);
    await p.api.stopRecording({ callId: call.callId, recordingId });
    const saved = await p.event(
      'recordingSaved',
      (e) => e.event.recordingSaved.recordingId === recordingId && e.event.recordingSaved.final,
    );
    const chunks: Buffer[] = [];
    for await (const chunk of recordings.downloadRecording({
      recordingId,
      part: saved.event.recordingSaved.part,
    }))
      chunks.push(Buffer.from(chunk));
    const wav = readRecordedWav(Buffer.concat(chunks));
    const [from, to] = [300, wav.durationMs - 300];
    // A party's channel is what that party said: the supervisor whispering to the callee is in neither.
    expect(toneRatio(window8k(wav, 0, from, to), CALLER_HZ)).toBeGreaterThan(TONE_DETECTED);
    expect(toneRatio(window8k(wav, 1, from, to), CALLEE_HZ)).toBeGreaterThan(TONE_DETECTED);
    for (const channel of [0, 1])
      expect(toneRatio(window8k(wav, channel, from, to), SUPERVISOR_HZ)).toBeLessThan(TONE_ABSENT);
    expect(call.calleeRtp.recentToneRatio(SUPERVISOR_HZ)).toBeGreaterThan(TONE_PRESENT);
    await p.api.stopMonitor({ callId: call.callId, monitorId: supervisor.monitorId });
    expect((await monitorEnded(supervisor.monitorId)).event.monitorEnded.reason).toBe(
      END.MONITOR_END_REASON_STOPPED,
    );
    await p.api.hangup({ callId: call.callId });
  });

  it('two monitors on one call: one whispers, the other listens and hears the call, not the whisper; stopping one leaves the other', async () => {
    const call = await connectedCall('mon-two');
    const coach = await monitorCall(call.callId, MODE.MONITOR_MODE_WHISPER, { whisperLegId: call.calleeLeg });
    const listener = await monitorCall(call.callId, MODE.MONITOR_MODE_LISTEN);
    await supervisorAnswered(coach);
    await supervisorAnswered(listener);
    // The listener's own tone must not reach anyone: it sends another frequency than the coach.
    listener.rtp.startTone(400);
    await hears('the callee hears the coach', call.calleeRtp, (r) => r(SUPERVISOR_HZ) > TONE_PRESENT);
    for (const supervisor of [coach, listener])
      await hears(
        'each supervisor hears both parties',
        supervisor.rtp,
        (r) => r(CALLER_HZ) > TONE_PRESENT && r(CALLEE_HZ) > TONE_PRESENT,
      );
    await sleep(1000);
    expect(listener.rtp.recentToneRatio(SUPERVISOR_HZ, 1000)).toBeLessThan(TONE_ABSENT);
    expect(coach.rtp.recentToneRatio(400, 1000)).toBeLessThan(TONE_ABSENT);
    for (const party of [pcmu(call.callerRtp), call.calleeRtp])
      expect(party.recentToneRatio(400, 1000)).toBeLessThan(TONE_ABSENT);
    expect(pcmu(call.callerRtp).recentToneRatio(SUPERVISOR_HZ, 1000)).toBeLessThan(TONE_ABSENT);

    await p.api.stopMonitor({ callId: call.callId, monitorId: coach.monitorId });
    expect((await monitorEnded(coach.monitorId)).event.monitorEnded.reason).toBe(
      END.MONITOR_END_REASON_STOPPED,
    );
    p.edge.expectSippSucceeded(await coach.sipp.result);
    await hears(
      'the whisper gone',
      call.calleeRtp,
      (r) => r(SUPERVISOR_HZ) < TONE_ABSENT && r(CALLER_HZ) > TONE_DETECTED,
    );
    // The parties leave the mixer once nobody whispers, so the listener's sources move from the routed
    // parties to their forks: it keeps hearing both (awaited, not sampled at one instant: on a loaded box
    // the move's few hundred milliseconds can fall in a 400 ms window).
    await hears(
      'the listener still hears both parties',
      listener.rtp,
      (r) => r(CALLER_HZ) > TONE_PRESENT && r(CALLEE_HZ) > TONE_PRESENT,
    );
    expect(
      p
        .eventsOf(call.callId)
        .some(
          (e) => e.event?.$case === 'monitorEnded' && e.event.monitorEnded.monitorId === listener.monitorId,
        ),
    ).toBe(false);
    await p.api.hangup({ callId: call.callId });
    expect((await monitorEnded(listener.monitorId)).event.monitorEnded.reason).toBe(
      END.MONITOR_END_REASON_CALL_ENDED,
    );
  });

  it('refuses bad input with the right status', async () => {
    const monitor = (request: Partial<callControl.MonitorCallRequest>) =>
      p.api.monitorCall({
        callId: '',
        supervisorUri: 'sip:supervisor@127.0.0.1:5999',
        mode: MODE.MONITOR_MODE_LISTEN,
        whisperLegId: '',
        fromUri: '',
        ringTimeoutMs: 0,
        idempotencyKey: `bad-${Math.random()}`,
        ...request,
      });
    await expect(monitor({ callId: 'call-that-never-was' })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const callerRtp = await rtpEndpoint();
    await sipp('uac-answered-expect-bye.xml', callerRtp.port, { service: 'mon-bad' });
    const { callId, legId } = await inboundCall('mon-bad');
    await p.api.answerLeg({ callId, legId });
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    await expect(monitor({ callId, supervisorUri: 'not a uri' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      monitor({ callId, mode: MODE.MONITOR_MODE_WHISPER, whisperLegId: 'leg-not-of-this-call' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      monitor({ callId, mode: MODE.MONITOR_MODE_WHISPER, whisperLegId: '' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(monitor({ callId, idempotencyKey: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await p.api.hangup({ callId });
    await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
    await expect(monitor({ callId })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    // Nothing was asked for by the refused requests.
    expect(p.eventsOf(callId).filter((e) => e.event?.$case === 'monitorRequested')).toEqual([]);
  });

  // Last: it kills the mixer (started again at the end for whatever follows).
  it('kill -9 of the mixer mid-whisper: two-way audio back within 2 s, MonitorEnded MIXER_FAILED, the supervisor hung up', async () => {
    const call = await connectedCall('mon-mixer-killed');
    const caller = pcmu(call.callerRtp);
    const supervisor = await monitorCall(call.callId, MODE.MONITOR_MODE_WHISPER, {
      whisperLegId: call.calleeLeg,
    });
    const supervisorLeg = await supervisorAnswered(supervisor);
    await hears('the callee hears the supervisor', call.calleeRtp, (r) => r(SUPERVISOR_HZ) > TONE_PRESENT);

    const killedAt = Date.now();
    await p.edge.killMixer();
    // Both parties hear each other again (and the callee no longer hears the supervisor), over 200 ms windows.
    const restored = () =>
      caller.recentToneRatio(CALLEE_HZ, 200) > TONE_DETECTED &&
      call.calleeRtp.recentToneRatio(CALLER_HZ, 200) > TONE_DETECTED &&
      call.calleeRtp.recentToneRatio(SUPERVISOR_HZ, 200) < TONE_ABSENT;
    await sleep(100); // the last mixed packets still in flight
    await waitFor('two-way audio restored', restored, RESTORE_MS + 3000, 20);
    const restoredMs = Date.now() - killedAt;
    console.log(JSON.stringify({ restoredMs }));
    expect(restoredMs).toBeLessThanOrEqual(RESTORE_MS);

    const ended = await monitorEnded(supervisor.monitorId);
    expect(ended.event.monitorEnded.reason).toBe(END.MONITOR_END_REASON_MIXER_FAILED);
    p.edge.expectSippSucceeded(await supervisor.sipp.result);
    // Nothing dangles: the supervisor leg ended, the parties are still up and hear each other.
    expect(await legOf(call.callId, supervisorLeg)).toMatchObject({
      state: callControl.LegState.LEG_STATE_ENDED,
    });
    for (const legId of [call.callerLeg, call.calleeLeg])
      expect(await legOf(call.callId, legId)).toMatchObject({
        state: callControl.LegState.LEG_STATE_ANSWERED,
      });
    await sleep(1000);
    expect(restored()).toBe(true);
    await p.api.hangup({ callId: call.callId });
    await p.edge.startMixer();
  });
});
