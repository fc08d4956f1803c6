// #21 item 6: an INVITE whose SDP the platform cannot use gets 488 at once and never becomes a ringing call.
// Junk SDP is refused by sip-edge's own check before any fact; an offer only rtpengine refuses ends the leg
// at once with REJECTED/488 instead of waiting for the answer timeout.
import { join } from 'node:path';
import { callEvents } from '@callctl/proto';
import { startSipp } from '@callctl/testing';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(90_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const C = callEvents.EndCause;

describe('an INVITE with SDP the platform cannot use', () => {
  let p: PlatformUnderTest;

  beforeAll(async () => {
    // An answer timeout far above the scenarios' 3 s wait for the 488: only an immediate refusal passes.
    p = await startPlatform({ answerTimeoutMs: 20_000 });
  });
  afterAll(async () => {
    await p?.close();
  });

  const call = (scenario: string, testCase: string) =>
    startSipp({
      scenario: join(SCENARIOS, scenario),
      remote: `127.0.0.1:${p.edge.engine.sipPort}`,
      service: testCase,
      args: ['-key', 'rtp_port', '9'],
    });
  const mentions = (testCase: string) => (value: unknown) =>
    JSON.stringify(value).includes(`sip:${testCase}@`);

  it('refuses junk SDP with 488 and a Warning, and records nothing', async () => {
    const sipp = await call('uac-junk-sdp-expect-488.xml', 'junk-sdp');
    p.edge.expectSippSucceeded(await sipp.result);
    // A call placed after it is recorded: had the junk one been, its events would be in the log before.
    const control = await call('uac-refused-sdp-expect-488.xml', 'after-junk');
    p.edge.expectSippSucceeded(await control.result);
    await p.event('legEnded', (e) => p.eventsOf(e.event.legEnded.callId).some(mentions('after-junk')));
    expect(p.edge.seen.filter(mentions('junk-sdp'))).toEqual([]);
    expect(p.events.filter(mentions('junk-sdp'))).toEqual([]);
  });

  it('refuses an offer rtpengine rejects with 488 at once and records the call ended as rejected', async () => {
    const sipp = await call('uac-refused-sdp-expect-488.xml', 'refused-sdp');
    p.edge.expectSippSucceeded(await sipp.result);
    const initiated = await p.event('legInitiated', (e) =>
      e.event.legInitiated.toUri.includes('sip:refused-sdp@'),
    );
    const { callId, legId } = initiated.event.legInitiated;
    const ended = await p.event('legEnded', (e) => e.event.legEnded.legId === legId);
    expect(ended.event.legEnded).toMatchObject({ cause: C.END_CAUSE_REJECTED, sipStatus: 488 });
    // The offer is recorded (the orchestrator's LegRinging is its "offered" state, no 180 went out: the
    // scenario accepts none), then ended by the refusal rather than by the 20 s answer timeout.
    const kinds = p.eventsOf(callId).map((e) => e.event?.$case);
    expect(kinds).toEqual(['callCreated', 'legInitiated', 'legRinging', 'legEnded', 'callEnded']);
  });
});
