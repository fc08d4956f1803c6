// Hold and transfers with real phones (support/baresip.ts, support/linphone.ts) over the public API, audio
// proven by tones: sipp parties at RTP endpoints the test owns that follow every re-INVITE, and each phone's
// own recording of what it decoded. baresip holds and resumes from the phone; baresip transfers its caller
// blind (its REFER: the platform dials the target and bridges it with the caller); baresip is the
// transferee of TransferLeg in REFER mode (it calls the target itself); linphonec transfers attended (two
// calls through the platform, then its REFER on the first naming the second by Replaces: the platform
// resolves that against its own dialogs, since linphone's Refer-To drops the port, and never sends linphone
// an INVITE with Replaces, on which it crashes). Also: a busy target of either kind of blind transfer leaves
// the call as it was; HoldLeg/ResumeLeg of baresip and of linphone; an attended transfer by the API
// (StartConsultation, then CompleteTransfer or CancelConsultation) with a sipp caller held and baresip the
// consulted target, and with linphone held; and the ASK policy for a phone's REFER (DecideTransfer declines
// or accepts). A phone that must prove it hears the music is linphone: baresip 1.0 stops recording what it
// hears at a call's first offer/answer that is not sendrecv (support/baresip.ts), though the music does
// reach it (a capture on loopback shows the tone arriving at its RTP port).
import { callEvents } from '@callctl/proto';
import { makeToneFile, waitFor } from '@callctl/testing';
import { startBaresip } from '../support/baresip.js';
import { CALLEE_HZ, CALLER_HZ } from '../support/call-parties.js';
import { startLinphone } from '../support/linphone.js';
import type { EventCase, PlatformUnderTest } from '../support/platform-under-test.js';
import {
  phonesUnderTest,
  TONE_DETECTED,
  type Phone,
  type PhoneCall,
  type PhonesUnderTest,
  type SippParty,
} from '../support/phone-calls.js';
import { serveFiles, type ToneServer } from '../support/tones.js';

jest.setTimeout(120_000);

const C = callEvents.EndCause;
const BY_REMOTE = callEvents.Initiator.INITIATOR_REMOTE;
const BARESIP_HZ = 500;
const LINPHONE_HZ = 900;
const TARGET_HZ = 1800;
const MUSIC_HZ = 1100;
const F = callEvents.TransferFailureCause;

/** Hangs the call up; its sipp party and the `others` end as scripted. */
async function hangUp(p: PlatformUnderTest, call: PhoneCall, ...others: SippParty[]): Promise<void> {
  await p.api.hangup({ callId: call.callId, legId: '' });
  for (const party of [call.peer, ...others]) p.edge.expectSippSucceeded(await party.sipp.result);
}

/** The LegEnded of a leg. */
const legEndedIn = (p: PlatformUnderTest, legId: string) =>
  p.event('legEnded', (e) => e.event.legEnded.legId === legId);

/** A sipp party (sending `hz`) and a phone hear each other (again). */
async function stillTalking(calls: PhonesUnderTest['calls'], party: SippParty, phone: Phone): Promise<void> {
  await calls.hears('the sipp party hearing the phone', () => party.recentToneRatio(phone.toneHz));
  await calls.hears('the phone hearing the sipp party', () => phone.recentToneRatio(party.hz));
}

describe('hold and transfers with real phones', () => {
  const { p, calls, parties, phone } = phonesUnderTest('transfers-phones-e2e');
  const legEnded = (legId: string) => legEndedIn(p(), legId);
  /** Whether the call's log holds an event of that kind. */
  const recorded = (callId: string, kind: EventCase) =>
    p()
      .eventsOf(callId)
      .some((e) => e.event?.$case === kind);

  /**
   * TransferLeg REFER of the phone's leg to the sipp target, which the phone calls itself: TransferCompleted
   * (no target leg: the phone's new call is not the platform's), the phone's leg TRANSFERRED and its peer
   * ended, and the target hearing the phone (`phoneHz`).
   */
  const referredAway = async (call: PhoneCall, target: SippParty, phoneHz: number) => {
    const { transferId } = await referPhone(call, `sip:target@127.0.0.1:${target.sipp.port}`);
    const completed = await p().event(
      'transferCompleted',
      (e) => e.event.transferCompleted.transferId === transferId,
    );
    expect(completed.event.transferCompleted).toMatchObject({
      transfereeLegId: call.phoneLeg,
      targetLegId: '',
    });
    expect((await legEnded(call.phoneLeg)).event.legEnded.cause).toBe(C.END_CAUSE_TRANSFERRED);
    await legEnded(call.peerLeg);
    p().edge.expectSippSucceeded(await call.peer.sipp.result);
    await calls.hears('the target hearing the phone', () => target.recentToneRatio(phoneHz));
  };
  /** TransferLeg in REFER mode of the phone's leg. */
  const referPhone = (call: { callId: string; phoneLeg: string }, target: string) =>
    p().api.transferLeg({
      callId: call.callId,
      legId: call.phoneLeg,
      target,
      mode: callEvents.TransferMode.TRANSFER_MODE_REFER,
      fromUri: '',
      timeoutMs: 0,
      releaseOnFailure: false,
      idempotencyKey: `transfer-${call.callId}`,
    });

  let files: ToneServer;
  let musicUrl: string;
  beforeAll(async () => {
    const dir = p().edge.dir;
    makeToneFile(dir, `music-${MUSIC_HZ}.wav`, 60, MUSIC_HZ, { volume: 0.25 });
    files = await serveFiles(dir);
    musicUrl = files.url(`music-${MUSIC_HZ}.wav`);
  });
  afterAll(async () => {
    await files?.close();
  });

  /** HoldLeg of the phone's leg, the music to it alone. */
  const holdWithMusic = (call: PhoneCall) =>
    p().api.holdLeg({
      callId: call.callId,
      legId: call.phoneLeg,
      music: { media: { $case: 'url', url: musicUrl } },
      musicToPeer: false,
      idempotencyKey: `hold-${call.callId}`,
    });

  it('HoldLeg of baresip: it answers the sendonly re-INVITE recvonly, and its callee hears it only after ResumeLeg', async () => {
    const bs = await phone((dir) => startBaresip({ dir, name: 'bs-held', toneHz: BARESIP_HZ }));
    const call = await calls.phoneCallsThrough(bs, 'tp-api-hold');
    const before = bs.output().length;

    await holdWithMusic(call);
    const held = await p().event('legHeld', (e) => e.event.legHeld.legId === call.phoneLeg);
    expect(held.event.legHeld.by).toBe(callEvents.Initiator.INITIATOR_API);
    // What baresip hears after a re-INVITE it answers cannot be read (baresip.ts): its answer and the
    // callee's silence say the hold took.
    await waitFor('baresip answering the hold recvonly', () =>
      /a=sendonly[\s\S]*SIP\/2.0 200 OK[\s\S]*a=recvonly/.test(bs.output().slice(before)),
    );
    await waitFor(
      'baresip gone from the callee',
      () => call.peer.recentToneRatio(BARESIP_HZ) < TONE_DETECTED,
      5_000,
    );

    await p().api.resumeLeg({ callId: call.callId, legId: call.phoneLeg });
    await p().event('legResumed', (e) => e.event.legResumed.legId === call.phoneLeg);
    await calls.hears('the callee hearing baresip again', () => call.peer.recentToneRatio(BARESIP_HZ));

    await hangUp(p(), call);
  });

  it('HoldLeg of linphone: it hears the music and not the callee, who hears neither; ResumeLeg: both talk', async () => {
    const lp = await phone((dir) => startLinphone({ dir, name: 'lp-held', toneHz: LINPHONE_HZ }));
    const call = await calls.phoneCallsThrough(lp, 'tp-api-hold-lp');

    await holdWithMusic(call);
    await p().event('legHeld', (e) => e.event.legHeld.legId === call.phoneLeg);
    // A real phone held by the platform hears the music (linphone records through a hold; baresip cannot).
    await calls.hears('linphone hearing the music', () => lp.recentToneRatio(MUSIC_HZ));
    expect(lp.recentToneRatio(CALLEE_HZ)).toBeLessThan(TONE_DETECTED);
    await waitFor(
      'linphone gone from the callee',
      () => call.peer.recentToneRatio(LINPHONE_HZ) < TONE_DETECTED,
      5_000,
    );
    expect(call.peer.recentToneRatio(MUSIC_HZ)).toBeLessThan(TONE_DETECTED);

    await p().api.resumeLeg({ callId: call.callId, legId: call.phoneLeg });
    await p().event('legResumed', (e) => e.event.legResumed.legId === call.phoneLeg);
    await stillTalking(calls, call.peer, lp);
    await waitFor('the music gone', () => lp.recentToneRatio(MUSIC_HZ) < TONE_DETECTED, 5_000);

    await hangUp(p(), call);
  });

  it('StartConsultation with linphone held: it hears the music; CompleteTransfer: it and the target talk', async () => {
    const lp = await phone((dir) => startLinphone({ dir, name: 'lp-consulted', toneHz: LINPHONE_HZ }));
    const call = await calls.phoneCallsThrough(lp, 'tp-consult-lp');
    const target = await calls.party('tp-consult-lp-target', TARGET_HZ);
    const { transferId } = await p().api.startConsultation({
      callId: call.callId,
      heldLegId: call.phoneLeg,
      target: `sip:target@127.0.0.1:${target.sipp.port}`,
      fromUri: '',
      ringTimeoutMs: 10_000,
      music: { media: { $case: 'url', url: musicUrl } },
      idempotencyKey: `consult-${call.callId}`,
    });
    await p().event('consultationStarted', (e) => e.event.consultationStarted.transferId === transferId);
    await calls.hears('the agent hearing the target', () => call.peer.recentToneRatio(TARGET_HZ));
    await calls.hears('linphone hearing the music', () => lp.recentToneRatio(MUSIC_HZ));
    expect(lp.recentToneRatio(CALLEE_HZ)).toBeLessThan(TONE_DETECTED);
    expect(lp.recentToneRatio(TARGET_HZ)).toBeLessThan(TONE_DETECTED);
    expect(target.recentToneRatio(LINPHONE_HZ)).toBeLessThan(TONE_DETECTED);

    await p().api.completeTransfer({ callId: call.callId, transferId });
    await p().event('transferCompleted', (e) => e.event.transferCompleted.transferId === transferId);
    expect((await legEnded(call.peerLeg)).event.legEnded.cause).toBe(C.END_CAUSE_TRANSFERRED);
    p().edge.expectSippSucceeded(await call.peer.sipp.result);
    await calls.hears('linphone hearing the target', () => lp.recentToneRatio(TARGET_HZ));
    await calls.hears('the target hearing linphone', () => target.recentToneRatio(LINPHONE_HZ));
    await waitFor('the music gone', () => lp.recentToneRatio(MUSIC_HZ) < TONE_DETECTED, 5_000);

    await p().api.hangup({ callId: call.callId, legId: '' });
    p().edge.expectSippSucceeded(await target.sipp.result);
  });

  it("baresip's hold and resume are LegHeld and LegResumed by REMOTE; two-way audio is back after it", async () => {
    const bs = await phone((dir) => startBaresip({ dir, name: 'bs-hold', toneHz: BARESIP_HZ }));
    const call = await calls.phoneCallsThrough(bs, 'tp-phone-hold');

    await bs.hold();
    const held = await p().event('legHeld', (e) => e.event.legHeld.legId === call.phoneLeg);
    expect(held.event.legHeld).toMatchObject({ callId: call.callId, by: BY_REMOTE, direction: 'sendonly' });
    // Passed on to the peer, as a phone's re-INVITE always was.
    await waitFor('the hold offered to the callee', () =>
      call.peer.logged('offered-direction').some((l) => l.endsWith(' sendonly')),
    );

    await bs.resume();
    const resumed = await p().event('legResumed', (e) => e.event.legResumed.legId === call.phoneLeg);
    expect(resumed.event.legResumed).toMatchObject({ callId: call.callId, by: BY_REMOTE });
    expect(
      p()
        .eventsOf(call.callId)
        .filter((e) => e.event?.$case === 'legHeld'),
    ).toHaveLength(1);
    await calls.hears('the callee hearing the phone after resume', () =>
      call.peer.recentToneRatio(BARESIP_HZ),
    );
    await calls.hears('the phone hearing the callee after resume', () => bs.recentToneRatio(CALLEE_HZ));

    await p().api.hangup({ callId: call.callId, legId: '' });
    p().edge.expectSippSucceeded(await call.peer.sipp.result);
  });

  it("baresip's blind REFER: the platform dials the target, bridges it with the caller and releases baresip", async () => {
    const bs = await phone((dir) => startBaresip({ dir, name: 'bs-xferor', toneHz: BARESIP_HZ }));
    const call = await calls.callerDialledToPhone(bs, 'tp-phone-refer');
    const target = await calls.party('tp-phone-refer-target', TARGET_HZ);

    await bs.transfer(`sip:target@127.0.0.1:${target.sipp.port}`);
    const requested = await p().event(
      'transferRequested',
      (e) => e.event.transferRequested.callId === call.callId,
    );
    const transfer = requested.event.transferRequested;
    expect(transfer).toMatchObject({
      kind: callEvents.TransferKind.TRANSFER_KIND_BLIND,
      by: BY_REMOTE,
      transfereeLegId: call.peerLeg,
      transferorLegId: call.phoneLeg,
      awaitingDecision: false,
      replacesLegId: '',
    });
    expect(transfer.targetUri).toContain(`target@127.0.0.1:${target.sipp.port}`);
    const completed = await p().event(
      'transferCompleted',
      (e) => e.event.transferCompleted.transferId === transfer.transferId,
    );
    expect(completed.event.transferCompleted).toMatchObject({
      transfereeLegId: call.peerLeg,
      targetLegId: transfer.targetLegId,
    });

    await calls.hears('the caller hearing the target', () => call.peer.recentToneRatio(TARGET_HZ));
    await calls.hears('the target hearing the caller', () => target.recentToneRatio(CALLER_HZ));
    expect(call.peer.recentToneRatio(BARESIP_HZ)).toBeLessThan(TONE_DETECTED);
    // baresip got the final NOTIFY 200 (it closes the call as transferred only on that).
    const closed = await bs.event('CALL_CLOSED');
    expect(closed.param).toMatch(/transfer/i);
    expect((await legEnded(call.phoneLeg)).event.legEnded.cause).toBe(C.END_CAUSE_TRANSFERRED);
    expect(recorded(call.callId, 'transferFailed')).toBe(false);

    await hangUp(p(), call, target);
  });

  it('baresip as the transferee of TransferLeg REFER: it calls the target itself, and its old call ends', async () => {
    const bs = await phone((dir) => startBaresip({ dir, name: 'bs-xferee', toneHz: BARESIP_HZ }));
    const call = await calls.phoneCallsThrough(bs, 'tp-refer-out');
    const target = await calls.party('tp-refer-out-target', TARGET_HZ);
    const since = Date.now();

    await referredAway(call, target, BARESIP_HZ);
    await bs.event(
      'CALL_ESTABLISHED',
      (e) => e.peeruri?.includes(`:${target.sipp.port}`) ?? false,
      20_000,
      since,
    );
    await calls.hears('baresip hearing the target', () => bs.recentToneRatio(TARGET_HZ));
    await bs.hangup();
    p().edge.expectSippSucceeded(await target.sipp.result);
  });

  it("linphonec's blind transfer: its REFER (Referred-By with a tag) moves the caller to the target", async () => {
    const lp = await phone((dir) => startLinphone({ dir, name: 'lp-blind', toneHz: LINPHONE_HZ }));
    const from = lp.output().length;
    const call = await calls.callerDialledToPhone(lp, 'tp-lp-refer-in');
    const id = await lp.answered(from);
    const target = await calls.party('tp-lp-refer-in-target', TARGET_HZ);

    await lp.transfer(id, `sip:target@127.0.0.1:${target.sipp.port}`);
    const requested = await p().event(
      'transferRequested',
      (e) => e.event.transferRequested.callId === call.callId,
    );
    const transfer = requested.event.transferRequested;
    expect(transfer).toMatchObject({
      by: BY_REMOTE,
      transfereeLegId: call.peerLeg,
      transferorLegId: call.phoneLeg,
    });
    expect(transfer.referredBy).not.toBe('');
    await p().event('transferCompleted', (e) => e.event.transferCompleted.transferId === transfer.transferId);
    await calls.hears('the caller hearing the target', () => call.peer.recentToneRatio(TARGET_HZ));
    await calls.hears('the target hearing the caller', () => target.recentToneRatio(CALLER_HZ));
    await legEnded(call.phoneLeg);
    await lp.expectOutput(new RegExp(`Call ${id} with .* ended`), 10_000, from);

    await hangUp(p(), call, target);
  });

  it('linphonec as the transferee of TransferLeg REFER: it calls the target itself, its old call ends', async () => {
    const lp = await phone((dir) => startLinphone({ dir, name: 'lp-xferee', toneHz: LINPHONE_HZ }));
    const call = await calls.phoneCallsThrough(lp, 'tp-lp-refer-out');
    const target = await calls.party('tp-lp-refer-out-target', TARGET_HZ);

    // linphone's final NOTIFY says "terminated;reason=reason=noresource" (its bug): still the final one.
    await referredAway(call, target, LINPHONE_HZ);

    await lp.command('terminate all');
    p().edge.expectSippSucceeded(await target.sipp.result);
  });

  it("linphonec's attended transfer: its REFER with Replaces bridges its two peers and ends both its legs", async () => {
    const lp = await phone((dir) => startLinphone({ dir, name: 'lp-xferor', toneHz: LINPHONE_HZ }));
    let from = lp.output().length;
    const first = await calls.callerDialledToPhone(lp, 'tp-attended-a');
    const firstId = await lp.answered(from);
    from = lp.output().length;
    await lp.pause(firstId);
    await lp.expectOutput(new RegExp(`Call ${firstId} .*paused`), 10_000, from);

    from = lp.output().length;
    const second = await calls.phoneCallsThrough(lp, 'tp-attended-c');
    const secondId = Number((await lp.expectOutput(/assigned id (\d+)/, 5_000, from))[1]);

    await lp.transferToCall(firstId, secondId);
    const requested = await p().event(
      'transferRequested',
      (e) => e.event.transferRequested.replacesLegId === second.phoneLeg,
    );
    const transfer = requested.event.transferRequested;
    expect(transfer).toMatchObject({
      callId: first.callId,
      by: BY_REMOTE,
      transfereeLegId: first.peerLeg,
      transferorLegId: first.phoneLeg,
      replacesCallId: second.callId,
    });
    await p().event('transferCompleted', (e) => e.event.transferCompleted.transferId === transfer.transferId);
    // The consulted callee moved from the second call into the first (it is the transfer's target there).
    const movedIn = await p().event(
      'legMovedIn',
      (e) => e.event.legMovedIn.transferId === transfer.transferId,
    );
    expect(movedIn.event.legMovedIn).toMatchObject({
      callId: first.callId,
      legId: second.peerLeg,
      fromCallId: second.callId,
    });
    await p().event('legMovedOut', (e) => e.event.legMovedOut.transferId === transfer.transferId);

    await calls.hears('the caller hearing the consulted callee', () => first.peer.recentToneRatio(CALLEE_HZ));
    await calls.hears('the consulted callee hearing the caller', () =>
      second.peer.recentToneRatio(CALLER_HZ),
    );
    expect(first.peer.recentToneRatio(LINPHONE_HZ)).toBeLessThan(TONE_DETECTED);
    expect(second.peer.recentToneRatio(LINPHONE_HZ)).toBeLessThan(TONE_DETECTED);
    expect((await legEnded(second.phoneLeg)).event.legEnded.cause).toBe(C.END_CAUSE_REPLACED);
    await legEnded(first.phoneLeg);
    await lp.expectOutput(new RegExp(`Call ${firstId} with .* ended`), 10_000, from);
    await lp.expectOutput(new RegExp(`Call ${secondId} with .* ended`), 10_000, from);
    // Still alive: the platform never sent it an INVITE with Replaces.
    await lp.command('calls');
    await lp.expectOutput(/No active call|Call states/, 5_000, from);

    await p().api.hangup({ callId: first.callId, legId: '' });
    // Cleanup only: the consulted callee may have moved to the first call, leaving the second ended.
    await p()
      .api.hangup({ callId: second.callId, legId: '' })
      .catch(() => undefined);
    p().edge.expectSippSucceeded(await first.peer.sipp.result);
    p().edge.expectSippSucceeded(await second.peer.sipp.result);
  });
  it("a busy target of baresip's REFER: TransferFailed TARGET_BUSY, and the caller and baresip still talk", async () => {
    const bs = await phone((dir) => startBaresip({ dir, name: 'bs-xferor-busy', toneHz: BARESIP_HZ }));
    const call = await calls.callerDialledToPhone(bs, 'tp-phone-refer-busy');
    const busy = await parties.sipp('uas-busy.xml', 9);

    await bs.transfer(`sip:busy@127.0.0.1:${busy.port}`);
    const failed = await p().event('transferFailed', (e) => e.event.transferFailed.callId === call.callId);
    expect(failed.event.transferFailed).toMatchObject({
      cause: F.TRANSFER_FAILURE_CAUSE_TARGET_BUSY,
      sipStatus: 486,
    });
    await stillTalking(calls, call.peer, bs);
    expect(bs.events.some((e) => e.type === 'CALL_CLOSED')).toBe(false);
    expect(recorded(call.callId, 'transferCompleted')).toBe(false);

    await p().api.hangup({ callId: call.callId, legId: '' });
    p().edge.expectSippSucceeded(await call.peer.sipp.result);
  });

  it('a busy target of TransferLeg REFER: baresip reports the 486, TransferFailed, and the call goes on', async () => {
    const bs = await phone((dir) => startBaresip({ dir, name: 'bs-xferee-busy', toneHz: BARESIP_HZ }));
    const call = await calls.phoneCallsThrough(bs, 'tp-refer-out-busy');
    const busy = await parties.sipp('uas-busy.xml', 9);

    const { transferId } = await referPhone(call, `sip:busy@127.0.0.1:${busy.port}`);
    const failed = await p().event('transferFailed', (e) => e.event.transferFailed.transferId === transferId);
    expect(failed.event.transferFailed).toMatchObject({
      cause: F.TRANSFER_FAILURE_CAUSE_TARGET_BUSY,
      sipStatus: 486,
    });
    await stillTalking(calls, call.peer, bs);
    expect(recorded(call.callId, 'legEnded')).toBe(false);

    await p().api.hangup({ callId: call.callId, legId: '' });
    p().edge.expectSippSucceeded(await call.peer.sipp.result);
  });

  describe('an attended transfer by the API, baresip the consulted target', () => {
    /**
     * A sipp caller (the held party) called through to a sipp agent, who consults baresip; the audio is
     * proven at the sipp parties (what baresip hears after the platform re-INVITEs it cannot be read).
     */
    const consulting = async (service: string) => {
      const agent = await calls.party(`${service}-agent`, CALLEE_HZ);
      const caller = await calls.party(`${service}-caller`, CALLER_HZ, { service });
      const { callId, legId: callerLeg } = await parties.inboundCall(service);
      const agentLeg = await calls.dialBridged(callId, callerLeg, `sip:agent@127.0.0.1:${agent.sipp.port}`);
      await calls.hears('the agent hearing the caller', () => agent.recentToneRatio(CALLER_HZ));
      const bs = await phone((dir) => startBaresip({ dir, name: `bs-${service}`, toneHz: BARESIP_HZ }));

      const { transferId, consultationLegId } = await p().api.startConsultation({
        callId,
        heldLegId: callerLeg,
        target: bs.uri,
        fromUri: '',
        ringTimeoutMs: 10_000,
        music: { media: { $case: 'url', url: musicUrl } },
        idempotencyKey: `consult-${callId}`,
      });
      const started = await p().event(
        'consultationStarted',
        (e) => e.event.consultationStarted.transferId === transferId,
      );
      expect(started.event.consultationStarted).toMatchObject({
        heldLegId: callerLeg,
        transferorLegId: agentLeg,
        consultationLegId,
      });
      await bs.event('CALL_ESTABLISHED');
      await calls.hears('the agent hearing baresip', () => agent.recentToneRatio(BARESIP_HZ));
      await calls.hears('the caller hearing the music', () => caller.recentToneRatio(MUSIC_HZ));
      expect(caller.recentToneRatio(CALLEE_HZ)).toBeLessThan(TONE_DETECTED);
      expect(caller.recentToneRatio(BARESIP_HZ)).toBeLessThan(TONE_DETECTED);
      expect(agent.recentToneRatio(CALLER_HZ)).toBeLessThan(TONE_DETECTED);
      const call: PhoneCall = { callId, phoneLeg: consultationLegId, peerLeg: callerLeg, peer: caller };
      return { bs, call, agent, agentLeg, transferId };
    };

    it('CompleteTransfer: the caller and baresip talk, the agent is released', async () => {
      const { bs, call, agent, agentLeg, transferId } = await consulting('tp-consult-complete');
      await p().api.completeTransfer({ callId: call.callId, transferId });
      await p().event('transferCompleted', (e) => e.event.transferCompleted.transferId === transferId);
      const ended = await p().event(
        'consultationEnded',
        (e) => e.event.consultationEnded.transferId === transferId,
      );
      expect(ended.event.consultationEnded.outcome).toBe(
        callEvents.ConsultationOutcome.CONSULTATION_OUTCOME_TRANSFERRED,
      );
      expect((await legEnded(agentLeg)).event.legEnded.cause).toBe(C.END_CAUSE_TRANSFERRED);
      p().edge.expectSippSucceeded(await agent.sipp.result);
      await calls.hears('the caller hearing baresip', () => call.peer.recentToneRatio(BARESIP_HZ));
      await waitFor('the music gone', () => call.peer.recentToneRatio(MUSIC_HZ) < TONE_DETECTED, 5_000);

      await hangUp(p(), call);
      await bs.event('CALL_CLOSED');
    });

    it('CancelConsultation: baresip is released, the caller and the agent talk again', async () => {
      const { bs, call, agent, transferId } = await consulting('tp-consult-cancel');
      await p().api.cancelConsultation({ callId: call.callId, transferId });
      const failed = await p().event(
        'transferFailed',
        (e) => e.event.transferFailed.transferId === transferId,
      );
      expect(failed.event.transferFailed.cause).toBe(F.TRANSFER_FAILURE_CAUSE_CANCELLED);
      const ended = await p().event(
        'consultationEnded',
        (e) => e.event.consultationEnded.transferId === transferId,
      );
      expect(ended.event.consultationEnded.outcome).toBe(
        callEvents.ConsultationOutcome.CONSULTATION_OUTCOME_CANCELLED,
      );
      await legEnded(call.phoneLeg);
      await bs.event('CALL_CLOSED');
      await calls.hears('the caller hearing the agent', () => call.peer.recentToneRatio(CALLEE_HZ));
      await calls.hears('the agent hearing the caller', () => agent.recentToneRatio(CALLER_HZ));
      await waitFor('the music gone', () => call.peer.recentToneRatio(MUSIC_HZ) < TONE_DETECTED, 5_000);

      await hangUp(p(), call, agent);
    });
  });
});

describe("a phone's REFER under the ASK policy", () => {
  const { p, calls, phone } = phonesUnderTest('transfers-phones-ask-e2e', {
    REFER_POLICY: 'ask',
    REFER_DECISION_TIMEOUT_MS: '30000',
  });

  /** baresip, called from a sipp caller, REFERs it to a sipp target; the platform asks the application. */
  const asking = async (service: string) => {
    const bs = await phone((dir) => startBaresip({ dir, name: `bs-${service}`, toneHz: BARESIP_HZ }));
    const call = await calls.callerDialledToPhone(bs, service);
    const target = await calls.party(`${service}-target`, TARGET_HZ);
    await bs.transfer(`sip:target@127.0.0.1:${target.sipp.port}`);
    const requested = await p().event(
      'transferRequested',
      (e) => e.event.transferRequested.callId === call.callId,
    );
    expect(requested.event.transferRequested).toMatchObject({ by: BY_REMOTE, awaitingDecision: true });
    expect(requested.event.transferRequested.decisionDeadlineMs).toBeGreaterThan(0);
    return { bs, call, target, transferId: requested.event.transferRequested.transferId };
  };

  it('DecideTransfer declines: TransferFailed DECLINED, the target never dialled, the call goes on', async () => {
    const { bs, call, target, transferId } = await asking('tp-ask-decline');
    await p().api.decideTransfer({ callId: call.callId, transferId, accept: false, sipStatus: 603 });
    const failed = await p().event('transferFailed', (e) => e.event.transferFailed.transferId === transferId);
    expect(failed.event.transferFailed.cause).toBe(F.TRANSFER_FAILURE_CAUSE_DECLINED);
    await stillTalking(calls, call.peer, bs);
    expect(target.logged('remote')).toEqual([]);
    expect(
      p()
        .eventsOf(call.callId)
        .some((e) => e.event?.$case === 'dialRequested' && e.event.dialRequested.transferId === transferId),
    ).toBe(false);

    await p().api.hangup({ callId: call.callId, legId: '' });
    p().edge.expectSippSucceeded(await call.peer.sipp.result);
  });

  it('DecideTransfer accepts: the transfer is performed as under PERFORM', async () => {
    const { bs, call, target, transferId } = await asking('tp-ask-accept');
    await p().api.decideTransfer({ callId: call.callId, transferId, accept: true, sipStatus: 0 });
    await p().event('transferCompleted', (e) => e.event.transferCompleted.transferId === transferId);
    await calls.hears('the caller hearing the target', () => call.peer.recentToneRatio(TARGET_HZ));
    await calls.hears('the target hearing the caller', () => target.recentToneRatio(CALLER_HZ));
    await bs.event('CALL_CLOSED');

    await hangUp(p(), call, target);
  });
});

describe("an orchestrator killed in the middle of a phone's transfer", () => {
  const { p, calls, phone } = phonesUnderTest('transfers-phones-crash-e2e');

  it('ends it completed or rolled back, with one event, and the audio says which', async () => {
    const bs = await phone((dir) => startBaresip({ dir, name: 'bs-crash', toneHz: BARESIP_HZ }));
    const call = await calls.callerDialledToPhone(bs, 'tp-crash');
    const target = await calls.party('tp-crash-target', TARGET_HZ, {
      scenario: 'uas-rings-3s-answers-follows-reinvites-expect-bye.xml',
    });
    await bs.transfer(`sip:target@127.0.0.1:${target.sipp.port}`);
    const requested = await p().event(
      'transferRequested',
      (e) => e.event.transferRequested.callId === call.callId,
    );
    const { transferId, targetLegId } = requested.event.transferRequested;
    // The target rings (3 s before it answers): kill -9 now, and restart.
    await p().event('legRinging', (e) => e.event.legRinging.legId === targetLegId);
    await p().killOrchestrator();
    await p().startOrchestrator();

    const isEnd = (e: { event?: { $case: string } }) =>
      e.event?.$case === 'transferCompleted' || e.event?.$case === 'transferFailed';
    const ofTransfer = () =>
      p()
        .eventsOf(call.callId)
        .filter(isEnd)
        .filter((e) =>
          e.event?.$case === 'transferCompleted'
            ? e.event.transferCompleted.transferId === transferId
            : e.event?.$case === 'transferFailed' && e.event.transferFailed.transferId === transferId,
        );
    const end = await waitFor('the transfer ended', () => ofTransfer()[0], 30_000);
    if (end.event?.$case === 'transferCompleted') {
      await calls.hears('the caller hearing the target', () => call.peer.recentToneRatio(TARGET_HZ));
      await calls.hears('the target hearing the caller', () => target.recentToneRatio(CALLER_HZ));
      await legEndedIn(p(), call.phoneLeg);
    } else {
      // Rolled back: the caller is with baresip again and the target's leg is gone.
      await legEndedIn(p(), targetLegId);
      await stillTalking(calls, call.peer, bs);
    }
    // One end, and it stays the only one.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(ofTransfer()).toHaveLength(1);

    await p().api.hangup({ callId: call.callId, legId: '' });
    p().edge.expectSippSucceeded(await call.peer.sipp.result);
  });
});
