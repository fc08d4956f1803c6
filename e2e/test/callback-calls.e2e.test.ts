// The callback service (issue #17) end to end with real peers: an IIF peer or a gRPC client asks for a
// callback, the service drives the platform over its public API, and sipp users answer, are busy or ring.
// Announcements are tone WAVs in the media library, heard at RTP sockets the test owns; the duration and the
// cap are measured on the wire (the users' sipp traces).
import { callEvents, callbackEvents, callback } from '@callctl/proto';
import {
  ANN1,
  ANN2,
  ANNOUNCEMENT_MS,
  RING_TIMEOUT_MS,
  USER2_FAILED,
  callbackUnderTest,
  viewOf,
} from '../support/callback-under-test.js';
import { bridgedSeconds, expectReleasedAtCap, heardMs, userWire } from '../support/callback-users.js';

jest.setTimeout(60_000);

const CAUSE = callbackEvents.CallbackEndCause;
/** An announcement spoken by tts, asked for once: its synthesis is not cached when the callback starts. */
const SLOW_ANN1 = '00080020';
const rig = callbackUnderTest({
  serviceEnv: {
    CALLBACK_ANNOUNCEMENTS: `${SLOW_ANN1}=say:${'Thank you for waiting while we try to reach the person you asked to speak with. '.repeat(20).trim().replace(/ /g, '+')}`,
  },
});

describe('callbacks with real peers', () => {
  it('connects user1 and user2 over the IIF: each hears its announcement, they talk, and RESPONSE carries the bridged time', async () => {
    const user1 = await rig.users().user('1happy', { kind: 'answers' });
    // user2 rings long enough for user1's announcement to be heard before the bridge, then hangs up 3 s
    // after the bridge's re-INVITE.
    const user2 = await rig
      .users()
      .user('2happy', { kind: 'answers-then-hangs-up', ringMs: 2000, quietMs: 3000 });
    const callbackId = await rig.startOverIif('happy', user1, user2, {
      duration: 60,
      ann_id1: ANN1.id,
      ann_id2: ANN2.id,
    });
    await rig.event('bridged', (e) => e.event.bridged.callbackId === callbackId);
    await rig.talk(user1, user2);

    const response = await rig.response('happy');
    const wire1 = await rig.wireOf(user1);
    const wire2 = await rig.wireOf(user2);
    // Each heard (most of) its own announcement, and nothing of the other's.
    expect(heardMs(user1.rtp, ANN1.hz)).toBeGreaterThanOrEqual(ANNOUNCEMENT_MS - 500);
    expect(heardMs(user2.rtp, ANN2.hz)).toBeGreaterThanOrEqual(ANNOUNCEMENT_MS - 500);
    expect(heardMs(user1.rtp, ANN2.hz)).toBe(0);
    expect(heardMs(user2.rtp, ANN1.hz)).toBe(0);
    // user2 hung up; user1 was released by the platform.
    expect(wire2.byeSentAt).toBeDefined();
    expect(wire1.byeReceivedAt).toBeDefined();
    // Bridged on the wire: from user2's bridge re-INVITE to its BYE.
    const bridgedS = bridgedSeconds(wire2);
    const realDuration = Number(response.params.real_duration);
    expect(response.text).toBe(`RESPONSE: id=happy;real_duration=${realDuration};`);
    expect(Math.abs(realDuration - bridgedS)).toBeLessThanOrEqual(1);
    expect(realDuration).toBeGreaterThanOrEqual(2);

    const view = await viewOf(rig, callbackId);
    expect(view).toMatchObject({
      state: callback.CallbackState.CALLBACK_STATE_ENDED,
      endCause: CAUSE.CALLBACK_END_CAUSE_USER2_HANGUP,
      realDurationS: realDuration,
    });
    await rig.event('responseSettled', (e) => e.event.responseSettled.callbackId === callbackId);
    expect(rig.iif().all('RESPONSE', 'happy')).toHaveLength(1);
  });

  it('speaks ann_digit2 to user2 after its announcement, then bridges them', async () => {
    const user1 = await rig.users().user('1digits', { kind: 'answers' });
    const user2 = await rig.users().user('2digits', { kind: 'answers' });
    const callbackId = await rig.startOverIif('digits', user1, user2, {
      duration: 60,
      ann_id2: ANN2.id,
      ann_digit2: '42',
    });
    const { callId, legId: user2Leg } = (
      await rig.event('user2Called', (e) => e.event.user2Called.callbackId === callbackId)
    ).event.user2Called;
    await rig.event('bridged', (e) => e.event.bridged.callbackId === callbackId);
    await rig.talk(user1, user2);
    await rig.service().client.cancelCallback({ callbackId, reason: 'done' });
    await rig.response('digits');

    // On user2's leg: the announcement, then speech, each played to its end, then the bridge.
    const onUser2 = rig
      .p()
      .eventsOf(callId)
      .filter((e) => {
        const event = e.event;
        if (event?.$case === 'playbackStarted') return event.playbackStarted.legId === user2Leg;
        if (event?.$case === 'playbackFinished') return event.playbackFinished.legId === user2Leg;
        return event?.$case === 'legsBridged';
      })
      .map((e) => {
        const event = e.event!;
        if (event.$case === 'playbackStarted') return `started ${event.playbackStarted.source.split(':')[0]}`;
        if (event.$case === 'playbackFinished') return `finished ${event.playbackFinished.reason}`;
        return 'bridged';
      });
    const completed = callEvents.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED;
    expect(onUser2.slice(0, 5)).toEqual([
      'started library',
      `finished ${completed}`,
      'started tts',
      `finished ${completed}`,
      'bridged',
    ]);
    expect(heardMs(user2.rtp, ANN2.hz)).toBeGreaterThanOrEqual(ANNOUNCEMENT_MS - 500);
    expect(await rig.wireOf(user1)).toMatchObject({ calls: 1 });
  });

  it('over gRPC: user1 hanging up first releases user2, and a replay of the request is the same callback', async () => {
    const user1 = await rig.users().user('1grpc', { kind: 'answers-then-hangs-up', quietMs: 2500 });
    const user2 = await rig.users().user('2grpc', { kind: 'answers' });
    const request = { user1: '1grpc', user2: '2grpc', maxDurationS: 60, idempotencyKey: 'grpc-hangup' };
    const started = await rig.service().client.startCallback(request);
    const callbackId = started.callback!.callbackId;
    expect(started.callback).toMatchObject({ user1: '1grpc', user2: '2grpc', maxDurationS: 60 });
    const replay = await rig.service().client.startCallback(request);
    expect(replay.callback!.callbackId).toBe(callbackId);
    await rig.event('bridged', (e) => e.event.bridged.callbackId === callbackId);
    await rig.talk(user1, user2);

    const ended = await rig.event('ended', (e) => e.event.ended.callbackId === callbackId);
    const wire1 = await rig.wireOf(user1);
    const wire2 = await rig.wireOf(user2);
    expect(wire1.byeSentAt).toBeDefined();
    expect(wire2.byeReceivedAt).toBeDefined();
    expect(ended.event.ended.cause).toBe(CAUSE.CALLBACK_END_CAUSE_USER1_HANGUP);
    const bridgedS = bridgedSeconds(wire1);
    expect(Math.abs(ended.event.ended.realDurationS - bridgedS)).toBeLessThanOrEqual(1);
    // One call to each user, whatever the replay.
    expect(wire1.calls).toBe(1);
    expect(wire2.calls).toBe(1);
  });

  it('user1 busy: user2 is never called, RESPONSE real_duration=0', async () => {
    await rig.users().user('1busy', { kind: 'busy' });
    const user2 = await rig.users().user('2busy', { kind: 'answers' });
    await rig.request({ id: 'u1busy', user1: '1busy', user2: '2busy', duration: 60 });
    const response = await rig.response('u1busy');
    expect(response.text).toBe('RESPONSE: id=u1busy;real_duration=0;');
    const callbackId = await rig.callbackOfIif('u1busy');
    expect(await viewOf(rig, callbackId)).toMatchObject({
      endCause: CAUSE.CALLBACK_END_CAUSE_USER1_BUSY,
      sipStatus: 486,
      realDurationS: 0,
    });
    expect(userWire(await user2.sipp.stop(500)).calls).toBe(0);
    expect(rig.kindsOf(callbackId)).not.toContain('user2Called');
  });

  it('user1 not answering: cancelled at the ring timeout, user2 never called, RESPONSE real_duration=0', async () => {
    const user1 = await rig.users().user('1ring', { kind: 'rings' });
    const user2 = await rig.users().user('2ring', { kind: 'answers' });
    await rig.request({ id: 'u1ring', user1: '1ring', user2: '2ring', duration: 60 });
    const response = await rig.response('u1ring', RING_TIMEOUT_MS + 20_000);
    expect(response.text).toBe('RESPONSE: id=u1ring;real_duration=0;');
    expect((await rig.wireOf(user1)).cancelled).toBe(true);
    const callbackId = await rig.callbackOfIif('u1ring');
    expect((await viewOf(rig, callbackId)).endCause).toBe(CAUSE.CALLBACK_END_CAUSE_USER1_NO_ANSWER);
    expect(userWire(await user2.sipp.stop(500)).calls).toBe(0);
  });

  it('user2 busy: user1 hears the user2-failed announcement, then is released; RESPONSE real_duration=0', async () => {
    const user1 = await rig.users().user('1u2busy', { kind: 'answers' });
    await rig.users().user('2u2busy', { kind: 'busy' });
    await rig.request({ id: 'u2busy', user1: '1u2busy', user2: '2u2busy', duration: 60 });
    const response = await rig.response('u2busy');
    expect(response.text).toBe('RESPONSE: id=u2busy;real_duration=0;');
    expect((await rig.wireOf(user1)).byeReceivedAt).toBeDefined();
    expect(heardMs(user1.rtp, USER2_FAILED.hz)).toBeGreaterThanOrEqual(ANNOUNCEMENT_MS - 500);
    const callbackId = await rig.callbackOfIif('u2busy');
    expect(await viewOf(rig, callbackId)).toMatchObject({
      endCause: CAUSE.CALLBACK_END_CAUSE_USER2_BUSY,
      sipStatus: 486,
      realDurationS: 0,
    });
  });

  it("user2 failing while user1's announcement is still being synthesized: user1 still hears the user2-failed one", async () => {
    const user1 = await rig.users().user('1slow', { kind: 'answers' });
    await rig.users().user('2slow', { kind: 'busy' });
    await rig.request({ id: 'slow', user1: '1slow', user2: '2slow', duration: 60, ann_id1: SLOW_ANN1 });
    const response = await rig.response('slow');
    expect(response.text).toBe('RESPONSE: id=slow;real_duration=0;');
    expect((await rig.wireOf(user1)).byeReceivedAt).toBeDefined();
    expect(heardMs(user1.rtp, USER2_FAILED.hz)).toBeGreaterThanOrEqual(ANNOUNCEMENT_MS - 500);
  });

  it('the duration cap releases both users within a second of its end, counted from user1 answering', async () => {
    const user1 = await rig.users().user('1cap', { kind: 'answers' });
    const user2 = await rig.users().user('2cap', { kind: 'answers' });
    await rig.request({ id: 'cap', user1: '1cap', user2: '2cap', duration: 3 });
    const response = await rig.response('cap');
    const wire1 = await rig.wireOf(user1);
    const wire2 = await rig.wireOf(user2);
    expectReleasedAtCap(wire1, wire2, 3);
    const bridgedS = bridgedSeconds(wire2);
    expect(Math.abs(Number(response.params.real_duration) - bridgedS)).toBeLessThanOrEqual(1);
    const callbackId = await rig.callbackOfIif('cap');
    expect((await viewOf(rig, callbackId)).endCause).toBe(CAUSE.CALLBACK_END_CAUSE_MAX_DURATION);
  });
});
