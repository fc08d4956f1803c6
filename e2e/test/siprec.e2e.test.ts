// SIPREC to an external recorder (issue 18, RFC 7865/7866) through the public API, with real sipp parties
// whose RTP the test owns (caller 700 Hz, callee 1300 Hz): the real drachtio-siprec-recording-server with its
// own SIP engine and its own rtpengine recording to pcap (support/siprec-srs.ts), whose pcap holds each
// label's RTP with the right party's tone, nothing while paused (the call keeping two-way audio) and RTP
// again after resume; failover from an SRS answering 503 to the real one; a sipp SRS that checks the
// INVITE's headers and multipart body, answers recvonly at RTP sockets the test owns (each label's tone
// there) and takes the pause re-INVITE (a=inactive, no RTP after it); the SRS hanging up (SRS_ENDED, the
// call untouched); the call's end (CALL_ENDED, BYE at the SRS); bad input recording nothing.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callEvents } from '@callctl/proto';
import { toneRatio, waitFor, type RunningSipp } from '@callctl/testing';
import {
  CALLEE_HZ,
  CALLER_HZ,
  callParties,
  hearEachOther,
  hears,
  sleep,
  TONE_ABSENT,
  TONE_DETECTED,
  type ConnectedCall,
} from '../support/call-parties.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { recordedStreams, type RecordedStream } from '../support/recorded-pcap.js';
import { startSiprecSrs, type SiprecSrs } from '../support/siprec-srs.js';

jest.setTimeout(90_000);

const STOP = callEvents.SiprecStopReason;
/** X-Test-Case is what siprec-srs-uas-checks-invite.xml requires and logs. */
const HEADERS = { 'X-Test-Case': 'siprec-e2e' };

describe('SIPREC to an external recorder', () => {
  let p: PlatformUnderTest;
  let srs: SiprecSrs;
  const logs = mkdtempSync(join(tmpdir(), 'siprec-e2e-'));
  const parties = callParties(() => p);
  const { connectedCall, rtpEndpoint, sipp, mediaOf } = parties;

  beforeAll(async () => {
    p = await startPlatform();
    srs = await startSiprecSrs();
  }, 90_000);
  afterEach(() => parties.cleanUp());
  afterAll(async () => {
    await srs?.stop();
    await p?.close();
    rmSync(logs, { recursive: true, force: true });
  });

  const startSiprec = (callId: string, srsUris: string[], headers: Record<string, string> = HEADERS) =>
    p.api.startSiprec({
      callId,
      srsUris,
      headers,
      idempotencyKey: `siprec-${callId}-${srsUris.join(',')}`,
      clientState: '',
    });
  const siprecStarted = (siprecId: string) =>
    p.event('siprecStarted', (e) => e.event.siprecStarted.siprecId === siprecId, 30_000);
  const siprecStopped = (siprecId: string) =>
    p.event('siprecStopped', (e) => e.event.siprecStopped.siprecId === siprecId, 20_000);

  /** A sipp SRS (`scenario`) answering at two RTP sockets of the test, one per label, logging to a file. */
  async function sippSrs(scenario: string) {
    const label1 = await rtpEndpoint();
    const label2 = await rtpEndpoint();
    const logFile = join(logs, `${scenario}-${Date.now()}.log`);
    const run: RunningSipp = await sipp(scenario, label1.port, {
      args: [
        ...['-key', 'rtp_port_1', String(label1.port)],
        ...['-key', 'rtp_port_2', String(label2.port)],
        ...['-trace_logs', '-log_file', logFile],
      ],
    });
    const logged = (label: string) =>
      existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith(label))
        : [];
    return { run, uri: `sip:srs@127.0.0.1:${run.port}`, labels: [label1, label2] as const, logged };
  }

  /**
   * Where the platform's rtpengine sends each label's RTP (the SRS's answer, m-line i = label i): the
   * recording fork's tag (`siprec-<siprecId>`) in rtpengine's query of the call's media session.
   */
  async function recorderPorts(call: ConnectedCall, siprecId: string): Promise<number[]> {
    const { sessionId } = await mediaOf(call.callerLeg);
    const detail = await p.edge.mediaQuery(sessionId);
    const fork = detail.tags[`siprec-${siprecId}`];
    const ports = (fork?.medias ?? [])
      .slice()
      .sort((a, b) => a.index - b.index)
      .map((m) => m.streams[0]?.endpoint?.port ?? 0);
    if (ports.length !== 2 || ports.includes(0))
      throw new Error(`no recording fork in rtpengine's query: ${JSON.stringify(detail).slice(0, 3000)}`);
    return ports;
  }

  /** The SRS's pcap of a recording session, read once both labels' RTP is in it (written as it ends). */
  const recording = (sipCallId: string, ports: number[]) =>
    waitFor(
      'the SRS pcap with both labels',
      () => {
        const [file] = srs.pcapsOf(sipCallId);
        if (!file) return undefined;
        const streams = recordedStreams(file);
        return ports.every((port) => (streams.get(port)?.packets ?? 0) > 50) && streams;
      },
      10_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- SRS\n${srs.output().slice(-3000)}`);
    });

  const expectLabelTones = (label: RecordedStream, own: number, other: number) => {
    const last = label.samples.slice(-16000);
    expect(toneRatio(last, own)).toBeGreaterThan(TONE_DETECTED);
    expect(toneRatio(last, other)).toBeLessThan(TONE_ABSENT);
  };

  it('records a bridged call on the real SRS: each label’s RTP in its pcap with its party’s tone, none while paused (the call keeping two-way audio), again after resume; the call’s end stops it (CALL_ENDED) and ends the session at the SRS', async () => {
    const call = await connectedCall('srec-real');
    const { siprecId } = await startSiprec(call.callId, [srs.uri]);
    expect(siprecId).toMatch(/^srec-[0-9a-f]{32}$/);
    const requested = await p.event('siprecRequested', (e) => e.event.siprecRequested.siprecId === siprecId);
    expect(requested.event.siprecRequested).toMatchObject({
      srsUris: [srs.uri],
      headers: HEADERS,
      legIds: [call.callerLeg, call.calleeLeg],
    });
    const started = (await siprecStarted(siprecId)).event.siprecStarted;
    expect(started).toMatchObject({ callId: call.callId, srsUri: srs.uri });
    expect(started.sipCallId).not.toBe('');
    const ports = await recorderPorts(call, siprecId);
    await sleep(3000);

    await p.api.pauseSiprec({ callId: call.callId, siprecId });
    await p.event('siprecPaused', (e) => e.event.siprecPaused.siprecId === siprecId);
    const pausedAt = Date.now() / 1000;
    // Paused: the call itself is never muted.
    await sleep(1000);
    await hearEachOther(call);
    await sleep(1500);
    const resumedAt = Date.now() / 1000;
    await p.api.resumeSiprec({ callId: call.callId, siprecId });
    await p.event('siprecResumed', (e) => e.event.siprecResumed.siprecId === siprecId);
    await sleep(3000);
    await hearEachOther(call);
    await p.api.hangup({ callId: call.callId, legId: '' });
    expect((await siprecStopped(siprecId)).event.siprecStopped.reason).toBe(
      STOP.SIPREC_STOP_REASON_CALL_ENDED,
    );

    // The SRS's pcap (complete once the session ended: the platform's BYE): label 1 the caller (700 Hz),
    // label 2 the callee (1300 Hz); nothing between the pause and the resume, RTP again after it.
    const streams = await recording(started.sipCallId, ports);
    const [label1, label2] = ports.map((port) => streams.get(port)!);
    expectLabelTones(label1!, CALLER_HZ, CALLEE_HZ);
    expectLabelTones(label2!, CALLEE_HZ, CALLER_HZ);
    for (const label of [label1!, label2!]) {
      const during = label.times.filter((t) => t > pausedAt + 0.3 && t < resumedAt);
      const after = label.times.filter((t) => t > resumedAt);
      console.log(
        `label port ${label.port}: ${label.packets} packets, ${during.length} while paused, ${after.length} after resume`,
      );
      expect(during).toEqual([]);
      expect(after.length).toBeGreaterThan(100);
    }
    expect(srs.output()).toContain('call connected successfully');
  });

  it('fails over from an SRS answering 503 to the real one: SiprecAttemptFailed 503, then SiprecStarted on the second; StopSiprec stops it (REQUESTED), the call going on', async () => {
    const call = await connectedCall('srec-failover');
    const unavailable = await sipp('siprec-srs-uas-503.xml', 9);
    const first = `sip:srs@127.0.0.1:${unavailable.port}`;
    const { siprecId } = await startSiprec(call.callId, [first, srs.uri]);
    const attempt = await p.event(
      'siprecAttemptFailed',
      (e) => e.event.siprecAttemptFailed.siprecId === siprecId,
    );
    expect(attempt.event.siprecAttemptFailed).toMatchObject({ srsUri: first, sipStatus: 503 });
    const started = (await siprecStarted(siprecId)).event.siprecStarted;
    expect(started.srsUri).toBe(srs.uri);
    const order = p
      .eventsOf(call.callId)
      .map((e) => e.event?.$case ?? '')
      .filter((c) => c.startsWith('siprec'));
    expect(order).toEqual(['siprecRequested', 'siprecAttemptFailed', 'siprecStarted']);
    const ports = await recorderPorts(call, siprecId);
    await sleep(2000);
    await p.api.stopSiprec({ callId: call.callId, siprecId });
    expect((await siprecStopped(siprecId)).event.siprecStopped.reason).toBe(
      STOP.SIPREC_STOP_REASON_REQUESTED,
    );
    // Stopping it again is OK; the call goes on; the SRS recorded both labels.
    await p.api.stopSiprec({ callId: call.callId, siprecId });
    await hearEachOther(call);
    p.edge.expectSippSucceeded(await unavailable.result);
    const streams = await recording(started.sipCallId, ports);
    expectLabelTones(streams.get(ports[0]!)!, CALLER_HZ, CALLEE_HZ);
    expectLabelTones(streams.get(ports[1]!)!, CALLEE_HZ, CALLER_HZ);
    await p.api.hangup({ callId: call.callId, legId: '' });
  });

  it('a sipp SRS: the INVITE’s headers and multipart body as RFC 7866 says (sipp checks them, the test reads the metadata), answered recvonly, each label’s tone at its socket; pause re-INVITEs a=inactive and no RTP follows while the call keeps two-way audio; the call’s end sends BYE', async () => {
    const call = await connectedCall('srec-sipp');
    const recorder = await sippSrs('siprec-srs-uas-checks-invite.xml');
    const [label1, label2] = recorder.labels;
    const { siprecId } = await startSiprec(call.callId, [recorder.uri]);
    await siprecStarted(siprecId);
    expect(recorder.logged('invite checked')).toEqual(['invite checked siprec-e2e']);
    await hears('label 1 carries the caller', label1, (r) => r(CALLER_HZ) > TONE_DETECTED, [
      CALLER_HZ,
      CALLEE_HZ,
    ]);
    await hears('label 2 carries the callee', label2, (r) => r(CALLEE_HZ) > TONE_DETECTED, [
      CALLER_HZ,
      CALLEE_HZ,
    ]);
    expect(label1.recentToneRatio(CALLEE_HZ)).toBeLessThan(TONE_ABSENT);
    expect(label2.recentToneRatio(CALLER_HZ)).toBeLessThan(TONE_ABSENT);

    await p.api.pauseSiprec({ callId: call.callId, siprecId });
    await p.event('siprecPaused', (e) => e.event.siprecPaused.siprecId === siprecId);
    await waitFor('the inactive re-INVITE', () => recorder.logged('reinvite inactive').length > 0, 5000);
    await sleep(300);
    const counted = [label1.packetsReceived, label2.packetsReceived];
    await sleep(1500);
    // Nothing reaches the recorder while paused, and the call itself was never muted.
    expect([label1.packetsReceived, label2.packetsReceived]).toEqual(counted);
    await hearEachOther(call);

    await p.api.hangup({ callId: call.callId, legId: '' });
    expect((await siprecStopped(siprecId)).event.siprecStopped.reason).toBe(
      STOP.SIPREC_STOP_REASON_CALL_ENDED,
    );
    const result = await recorder.run.result;
    p.edge.expectSippSucceeded(result);
    // The first INVITE as the recorder received it: the metadata's session, participants and streams.
    const invite = /INVITE sip:[^]*?(?=\n-{10,}|$)/.exec(result.messages)?.[0] ?? '';
    const uriOf = async (legId: string, side: 'fromUri' | 'toUri') =>
      (await p.event('legInitiated', (e) => e.event.legInitiated.legId === legId)).event.legInitiated[side];
    expect(invite).toMatch(/^Require: *siprec/im);
    expect(invite).toMatch(/^Contact: *<sip:[^>]+>;\s*\+sip\.src/im);
    expect(invite).toMatch(/^X-Test-Case: *siprec-e2e/im);
    expect(invite).toContain('<recording xmlns="urn:ietf:params:xml:ns:recording:1"');
    expect(invite).toMatch(/<datamode>complete<\/datamode>/);
    expect(invite).toContain(await uriOf(call.callerLeg, 'fromUri'));
    expect(invite).toContain(await uriOf(call.calleeLeg, 'toUri'));
    expect(invite).toMatch(/<label>1<\/label>/);
    expect(invite).toMatch(/<label>2<\/label>/);
    expect(invite).toContain(call.callId);
    expect(invite.match(/^m=audio /gm)).toHaveLength(2);
    expect(invite.match(/^a=sendonly/gm)).toHaveLength(2);
  });

  it('the SRS hanging up stops the recording (SRS_ENDED) and leaves the call as it was', async () => {
    const call = await connectedCall('srec-srs-bye');
    const recorder = await sippSrs('siprec-srs-uas-answers-then-bye.xml');
    const { siprecId } = await startSiprec(call.callId, [recorder.uri]);
    await siprecStarted(siprecId);
    const stopped = (await siprecStopped(siprecId)).event.siprecStopped;
    expect(stopped).toMatchObject({ reason: STOP.SIPREC_STOP_REASON_SRS_ENDED, sipStatus: 0 });
    p.edge.expectSippSucceeded(await recorder.run.result);
    await hearEachOther(call);
    const { call: now } = await p.api.getCall({ callId: call.callId });
    expect(now?.ended).toBe(false);
    // Another recording may start after it.
    const again = await startSiprec(call.callId, [srs.uri]);
    await siprecStarted(again.siprecId);
    await p.api.hangup({ callId: call.callId, legId: '' });
    expect((await siprecStopped(again.siprecId)).event.siprecStopped.reason).toBe(
      STOP.SIPREC_STOP_REASON_CALL_ENDED,
    );
  });

  it('bad input: more than 5 headers, a header that is not an X- token, no or a bad SRS URI are INVALID_ARGUMENT with nothing recorded; an unknown call is NOT_FOUND; a second recording while one runs is FAILED_PRECONDITION', async () => {
    const call = await connectedCall('srec-bad');
    const uri = 'sip:srs@127.0.0.1:9';
    const six = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`X-H${i}`, 'v']));
    for (const [srsUris, headers] of [
      [[uri], six],
      [[uri], { Customer: 'c-42' }],
      [[uri], { 'X-Bad Name': 'v' }],
      [[uri], { 'X-Line': 'a\r\nInjected: yes' }],
      [[], HEADERS],
      [['http://127.0.0.1/srs'], HEADERS],
      [Array.from({ length: 6 }, () => uri), HEADERS],
    ] as const)
      await expect(startSiprec(call.callId, [...srsUris], { ...headers })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    await sleep(300);
    expect(p.eventsOf(call.callId).filter((e) => e.event?.$case?.startsWith('siprec'))).toEqual([]);
    await expect(startSiprec('call-that-never-was', [uri])).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Five X- headers are fine; a second StartSiprec while the first runs is refused.
    const five = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`X-H${i}`, 'v']));
    const { siprecId } = await startSiprec(call.callId, [srs.uri], five);
    await siprecStarted(siprecId);
    await expect(
      p.api.startSiprec({
        callId: call.callId,
        srsUris: [uri],
        headers: {},
        idempotencyKey: 'other',
        clientState: '',
      }),
    ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await p.api.hangup({ callId: call.callId, legId: '' });
    await siprecStopped(siprecId);
  });
});
