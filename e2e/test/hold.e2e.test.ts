// Hold on the whole platform over the public API: HoldLeg on a bridged call re-INVITEs the held phone
// a=sendonly (sipp logs the direction offered), plays it the music on a loop and cuts it off from its
// peer both ways (tones at RTP endpoints the test owns: the caller sends 700 Hz, the callee 1300 Hz, the
// music is 440 Hz); ResumeLeg gives both their two-way audio back with an a=sendrecv re-INVITE. A phone
// that holds the platform itself (its own sendonly re-INVITE) is recorded as LegHeld/LegResumed by REMOTE.
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callEvents } from '@callctl/proto';
import { makeToneFile, waitFor, type RtpEndpoint } from '@callctl/testing';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { CALLEE_HZ, CALLER_HZ, callParties, type ConnectedCall } from '../support/call-parties.js';
import { serveFiles, type ToneServer } from '../support/tones.js';

jest.setTimeout(120_000);

const MUSIC_HZ = 440;
const MUSIC = 'hold-music-440.wav';
const HEARD = 0.5;
const NOT_HEARD = 0.1;
const TONES = [CALLER_HZ, CALLEE_HZ, MUSIC_HZ];
/** Long enough for what arrives after a switch to fill a detection window several times over. */
const SETTLE_MS = 1500;
const { INITIATOR_API: API } = callEvents.Initiator;

describe('hold', () => {
  let p: PlatformUnderTest;
  let files: ToneServer;
  let logs: string;
  const parties = callParties(() => p);

  beforeAll(async () => {
    p = await startPlatform();
    makeToneFile(p.edge.dir, MUSIC, 2, MUSIC_HZ);
    files = await serveFiles(p.edge.dir);
    logs = mkdtempSync(join(tmpdir(), 'hold-e2e-'));
  });
  afterEach(() => parties.cleanUp());
  afterAll(async () => {
    await files?.close();
    await p?.close();
    if (logs) rmSync(logs, { recursive: true, force: true });
  });

  /** The first word after `<label> ` of a sipp log's lines starting so, in order. */
  const loggedValues = (logFile: string, label: RegExp): string[] =>
    existsSync(logFile)
      ? readFileSync(logFile, 'utf8')
          .split('\n')
          .flatMap((l) => new RegExp(`^(?:${label.source}) (\\S+)`).exec(l)?.slice(1, 2) ?? [])
      : [];
  /** The direction of each offer the caller got (its scenario logs `offered <a=> <o= version>`). */
  const offered = (logFile: string) => loggedValues(logFile, /offered(?:-direction)?/);
  const withLog = (scenario: string, logFile: string) => ({
    scenario,
    args: ['-trace_logs', '-log_file', logFile],
  });

  /**
   * Which of the other tones each party hears in what arrives once the last switch settled: `hears` lists
   * those it must hear (ratio above HEARD), the rest it must not (below NOT_HEARD).
   */
  async function expectHearing(call: ConnectedCall, hears: { caller: number[]; callee: number[] }) {
    const parties = { caller: call.callerRtp as RtpEndpoint, callee: call.calleeRtp };
    const own = { caller: CALLER_HZ, callee: CALLEE_HZ };
    for (const e of Object.values(parties)) e.clearReceived();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const others = (who: 'caller' | 'callee') => TONES.filter((hz) => hz !== own[who]);
    const found = (who: 'caller' | 'callee') =>
      others(who).map((hz) => {
        const r = parties[who].recentToneRatio(hz, 600);
        return `${hz} Hz ${r > HEARD ? 'heard' : r < NOT_HEARD ? 'not heard' : `unclear (${r.toFixed(2)})`}`;
      });
    const expected = (who: 'caller' | 'callee') =>
      others(who).map((hz) => `${hz} Hz ${hears[who].includes(hz) ? 'heard' : 'not heard'}`);
    expect({ caller: found('caller'), callee: found('callee') }).toEqual({
      caller: expected('caller'),
      callee: expected('callee'),
    });
  }
  const hangUp = async (call: ConnectedCall) => {
    await p.api.hangup({ callId: call.callId, legId: '' });
    await p.event('callEnded', (e) => e.event.callEnded.callId === call.callId);
  };
  const heldBy = async (callId: string, legId: string) =>
    (await p.api.getCall({ callId })).call?.legs.find((l) => l.legId === legId)?.heldBy;

  async function heldCall(service: string, callerLog: string): Promise<ConnectedCall> {
    const call = await parties.connectedCall(service, undefined, {
      caller: withLog('uac-answered-follows-reinvites-expect-bye.xml', callerLog),
      callee: { scenario: 'hold-uas.xml' },
    });
    await waitFor(
      'the callee heard by the caller',
      () => (call.callerRtp as RtpEndpoint).recentToneRatio(CALLEE_HZ) > HEARD,
      10_000,
    );
    return call;
  }
  const hold = (call: ConnectedCall, key: string, musicToPeer = false) =>
    p.api.holdLeg({
      callId: call.callId,
      legId: call.callerLeg,
      music: { media: { $case: 'url', url: files.url(MUSIC) } },
      musicToPeer,
      idempotencyKey: key,
    });

  it('HoldLeg: the held caller hears the music and not the callee, the callee hears neither; ResumeLeg brings both back', async () => {
    const callerLog = join(logs, 'hold-api-caller.log');
    const call = await heldCall('hold-api', callerLog);

    await hold(call, 'hold-api-1');
    const held = await p.event('legHeld', (e) => e.event.legHeld.legId === call.callerLeg);
    expect(held.event.legHeld).toMatchObject({ by: API, musicUri: files.url(MUSIC), musicToPeer: false });
    expect(offered(callerLog)).toEqual(['sendonly']);
    expect(await heldBy(call.callId, call.callerLeg)).toBe(API);

    await expectHearing(call, { caller: [MUSIC_HZ], callee: [] });

    await p.api.resumeLeg({ callId: call.callId, legId: call.callerLeg });
    await p.event('legResumed', (e) => e.event.legResumed.legId === call.callerLeg);
    expect(offered(callerLog)).toEqual(['sendonly', 'sendrecv']);
    expect(await heldBy(call.callId, call.callerLeg)).toBeUndefined();

    await expectHearing(call, { caller: [CALLEE_HZ], callee: [CALLER_HZ] });
    await hangUp(call);
  });

  it('HoldLeg with music_to_peer: the callee hears the music too, and still not the caller', async () => {
    const callerLog = join(logs, 'hold-peer-caller.log');
    const call = await heldCall('hold-peer', callerLog);
    await hold(call, 'hold-peer-1', true);
    await p.event('legHeld', (e) => e.event.legHeld.legId === call.callerLeg);
    await expectHearing(call, { caller: [MUSIC_HZ], callee: [MUSIC_HZ] });
    await p.api.resumeLeg({ callId: call.callId, legId: call.callerLeg });
    await p.event('legResumed', (e) => e.event.legResumed.legId === call.callerLeg);
    await expectHearing(call, { caller: [CALLEE_HZ], callee: [CALLER_HZ] });
    await hangUp(call);
  });

  it('survives an orchestrator kill -9: the music plays on, and ResumeLeg after the restart gives two-way audio back', async () => {
    const callerLog = join(logs, 'hold-crash-caller.log');
    const call = await heldCall('hold-crash', callerLog);
    await hold(call, 'hold-crash-1');
    await p.event('legHeld', (e) => e.event.legHeld.legId === call.callerLeg);
    await p.killOrchestrator();
    // The media is rtpengine's and the worker's: nothing of the hold needed the orchestrator.
    await expectHearing(call, { caller: [MUSIC_HZ], callee: [] });
    await p.startOrchestrator();
    expect(await heldBy(call.callId, call.callerLeg)).toBe(API);
    await p.api.resumeLeg({ callId: call.callId, legId: call.callerLeg });
    expect(offered(callerLog)).toEqual(['sendonly', 'sendrecv']);
    await expectHearing(call, { caller: [CALLEE_HZ], callee: [CALLER_HZ] });
    await hangUp(call);
  });

  it("a phone's own hold re-INVITEs (sendonly, a refresh of it, inactive, sendrecv) are recorded by REMOTE once: held, then resumed", async () => {
    const callerLog = join(logs, 'hold-phone-caller.log');
    const call = await parties.connectedCall('hold-phone', undefined, {
      caller: withLog('uac-answered-holds-then-resumes-expect-bye.xml', callerLog),
      callee: { scenario: 'hold-uas.xml' },
    });
    await p.event('legResumed', (e) => e.event.legResumed.legId === call.callerLeg);
    const holdsOfCaller = p.eventsOf(call.callId).flatMap(({ event: e }) => {
      if (e?.$case === 'legHeld' && e.legHeld.legId === call.callerLeg)
        return [`held ${callEvents.Initiator[e.legHeld.by]} ${e.legHeld.direction}`];
      if (e?.$case === 'legResumed' && e.legResumed.legId === call.callerLeg)
        return [`resumed ${callEvents.Initiator[e.legResumed.by]}`];
      return [];
    });
    // sip-edge reports a hold and its end, not a refresh or sendonly becoming inactive (still held).
    expect(holdsOfCaller).toEqual(['held INITIATOR_REMOTE sendonly', 'resumed INITIATOR_REMOTE']);
    // Each offer went on to the callee, whose answer came back as the phone expects (RFC 3264).
    await waitFor('the four answers logged', () => loggedValues(callerLog, /answer-to-\S+/).length === 4);
    expect(loggedValues(callerLog, /answer-to-\S+/)).toEqual([
      'recvonly',
      'recvonly',
      'inactive',
      'sendrecv',
    ]);
    await hangUp(call);
  });
});
