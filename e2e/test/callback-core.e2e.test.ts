// The callback service's core against the real platform: sip-edge, media-worker, orchestrator (processes),
// two sipp UASs as user1 and user2, and the callback service in-process over its own database, driving the
// calls only through the public CallControl API and learning of them only from CALL_EVENTS.
import { join } from 'node:path';
import {
  CALLBACK_EVENTS_STREAM,
  connectBus,
  ensureCallbackEventsStream,
  type NatsConnection,
} from '@callctl/bus';
import { createLogger } from '@callctl/logging';
import { callback, callbackEvents } from '@callctl/proto';
import {
  createTestDatabase,
  startSipp,
  waitFor,
  type RunningSipp,
  type TestDatabase,
} from '@callctl/testing';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { startCallbackService, type CallbackService } from '../../services/callback/src/callback-service.js';
import { readConfig } from '../../services/callback/src/config.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(120_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
/**
 * Both users are outbound legs the platform calls without an offer (CreateCall, then Dial without a
 * bridge), each answered on its own, then joined by BridgeLegs with re-INVITEs.
 */
const USER = 'callback-uas-answers-follows-reinvites-expect-bye.xml';
const { CallbackEndCause: Cause } = callbackEvents;
const { CallbackState: State } = callback;

describe('callback service core over the real platform', () => {
  let p: PlatformUnderTest;
  let db: TestDatabase;
  let service: CallbackService;
  let nc: NatsConnection;
  const sipps: RunningSipp[] = [];
  let n = 0;

  const uas = async (scenario: string, args: string[] = []) => {
    const sipp = await startSipp({
      scenario: join(SCENARIOS, scenario),
      args: ['-key', 'rtp_port', '9', ...args],
    });
    sipps.push(sipp);
    return sipp;
  };

  /** Two users who stay, and a callback between them started over the core, once they are bridged. */
  async function bridgedCallback(maxDurationS: number, keyPrefix: string) {
    const user1 = await uas(USER);
    const user2 = await uas(USER);
    const started = await service.callbacks.start(
      { user1: String(user1.port), user2: String(user2.port), maxDurationS },
      { kind: 'grpc', idempotencyKey: `${keyPrefix}-${++n}` },
    );
    if (!started.ok) throw new Error(started.message);
    const { callbackId } = started.view;
    await waitFor(
      'bridged',
      async () => (await service.callbacks.get(callbackId))?.state === State.CALLBACK_STATE_BRIDGED,
      20_000,
      50,
    );
    return { callbackId, user1, user2 };
  }

  /** Starts a callback (user = the port of its sipp) and waits until it is over. */
  async function callbackOver(user1: string, user2: string, maxDurationS: number) {
    const started = await service.callbacks.start(
      { user1, user2, maxDurationS },
      { kind: 'grpc', idempotencyKey: `e2e-${++n}` },
    );
    if (!started.ok) throw new Error(started.message);
    return over(started.view.callbackId);
  }

  /** The callback once it is over. */
  async function over(callbackId: string) {
    const view = await waitFor(
      `callback ${callbackId} over`,
      async () => {
        const v = await service.callbacks.get(callbackId);
        return v && (v.state === State.CALLBACK_STATE_ENDED || v.state === State.CALLBACK_STATE_FAILED)
          ? v
          : undefined;
      },
      60_000,
      50,
    );
    return view;
  }

  /** When the call's log recorded its first event of that kind (waiting for the test's feed to have it). */
  const recordedAt = async (callId: string, kind: 'legsBridged' | 'bridgeEnded') =>
    (await p.event(kind, (e) => e.envelope?.streamId === `call-${callId}`)).envelope!.recordedAt!;

  /** The callback service in this process (no IIF, no gRPC: the tests call its core). */
  const startService = () =>
    startCallbackService({
      config: readConfig({
        DATABASE_URL: db.url,
        NATS_URL: p.edge.nats.url,
        CALLCTL_API: `127.0.0.1:${p.orchestrator.grpcPort}`,
        // A user is the port of the sipp that plays it.
        CALLBACK_DIAL_PLAN: 'sip:callee@127.0.0.1:{user}',
        CALLBACK_EVENTS_CONSUMER: 'callback-core-e2e',
        LOG_LEVEL: 'warn',
      }),
      log: createLogger({ service: 'callback', level: 'warn' }),
      iif: false,
      grpc: false,
    });

  beforeAll(async () => {
    // The media services speak the announcements (Say goes through tts).
    p = await startPlatform({}, { mediaServices: true });
    db = await createTestDatabase();
    service = await startService();
    nc = await connectBus({ servers: p.edge.nats.url, name: 'callback-core-e2e' });
  });
  afterEach(async () => {
    await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
  });
  afterAll(async () => {
    await nc?.close();
    await service?.close();
    await db?.drop();
    await p?.close();
  });

  it('calls user1, then user2, bridges them, and ends at the cap with the real duration', async () => {
    const user1 = await uas(USER);
    const user2 = await uas(USER);
    const view = await callbackOver(String(user1.port), String(user2.port), 4);
    expect(view).toMatchObject({
      state: State.CALLBACK_STATE_ENDED,
      endCause: Cause.CALLBACK_END_CAUSE_MAX_DURATION,
    });
    // The real duration is what the call's log says the bridge lasted, in whole seconds (halves up); the
    // cap counts from user1's answer, so the bridge is a little shorter than the cap.
    const bridgedAt = await recordedAt(view.callId, 'legsBridged');
    const bridgeEnded = await recordedAt(view.callId, 'bridgeEnded');
    expect(view.realDurationS).toBe(Math.floor((bridgeEnded.getTime() - bridgedAt.getTime() + 500) / 1000));
    expect(view.realDurationS).toBeGreaterThanOrEqual(3);
    expect(view.realDurationS).toBeLessThanOrEqual(4);
    expect(view.bridgedAt).toEqual(bridgedAt);
    expect(view.user1AnsweredAt!.getTime()).toBeLessThanOrEqual(bridgedAt.getTime());
    p.edge.expectSippSucceeded(await user1.result);
    p.edge.expectSippSucceeded(await user2.result);

    // Its events went out on CALLBACK_EVENTS, in order.
    await ensureCallbackEventsStream(nc);
    const consumer = await jetstream(nc).consumers.get(CALLBACK_EVENTS_STREAM, {
      filter_subjects: `callbacks.${view.callbackId}.*`,
      deliver_policy: DeliverPolicy.All,
    });
    await waitFor(
      'CALLBACK_EVENTS caught up',
      async () => (await consumer.info()).num_pending >= view.version,
      15_000,
    );
    const types: string[] = [];
    for await (const m of await consumer.fetch({ max_messages: view.version, expires: 2000 }))
      types.push(m.headers?.get('Callctl-Event-Type') ?? '');
    expect(types).toEqual([
      'CallbackRequested',
      'CallbackUser1Called',
      'CallbackUser1Ringing',
      'CallbackUser1Answered',
      'CallbackUser2Called',
      'CallbackUser2Ringing',
      'CallbackUser2Answered',
      'CallbackBridged',
      'CallbackEnded',
    ]);
  });

  it('user1 busy: user2 is never called, real duration 0', async () => {
    const user1 = await uas('uas-busy.xml');
    const view = await callbackOver(String(user1.port), '5', 0);
    expect(view).toMatchObject({
      endCause: Cause.CALLBACK_END_CAUSE_USER1_BUSY,
      sipStatus: 486,
      realDurationS: 0,
      user2LegId: '',
    });
  });

  it('user2 busy: user1 is released, USER2_BUSY, real duration 0', async () => {
    const user1 = await uas('uas-answers-expect-bye.xml');
    const user2 = await uas('uas-busy.xml');
    const view = await callbackOver(String(user1.port), String(user2.port), 0);
    expect(view).toMatchObject({
      endCause: Cause.CALLBACK_END_CAUSE_USER2_BUSY,
      sipStatus: 486,
      realDurationS: 0,
    });
    // user1 hears the failed announcement (or nothing, without a tts service) and is hung up.
    await p.event('callEnded', (e) => e.event.callEnded.callId === view.callId, 30_000);
    p.edge.expectSippSucceeded(await user1.result);
  });

  it('user2 hangs up after the bridge: USER2_HANGUP, and user1 is released by the platform', async () => {
    const user1 = await uas(USER);
    // Hangs up 4 s after the bridge's re-INVITE.
    const user2 = await uas('callback-uas-answers-then-bye-after-recv-timeout.xml', [
      '-recv_timeout',
      '4000',
    ]);
    const view = await callbackOver(String(user1.port), String(user2.port), 0);
    expect(view.endCause).toBe(Cause.CALLBACK_END_CAUSE_USER2_HANGUP);
    const bridgedAt = await recordedAt(view.callId, 'legsBridged');
    const bridgeEnded = await recordedAt(view.callId, 'bridgeEnded');
    expect(view.realDurationS).toBe(Math.floor((bridgeEnded.getTime() - bridgedAt.getTime() + 500) / 1000));
    expect(view.realDurationS).toBeGreaterThanOrEqual(3);
    expect(view.realDurationS).toBeLessThanOrEqual(5);
    p.edge.expectSippSucceeded(await user1.result);
    p.edge.expectSippSucceeded(await user2.result);
  });

  it('ends right after a restart that missed the whole end of the call (the cap, while it was down)', async () => {
    const { callbackId, user1, user2 } = await bridgedCallback(5, 'restart');
    const { callId } = (await service.callbacks.get(callbackId))!;
    await service.close();
    // The platform ends the call at the cap on its own; its events wait on the durable consumer.
    await p.event('callEnded', (e) => e.envelope?.streamId === `call-${callId}`, 30_000);
    service = await startService();
    const view = await over(callbackId);
    expect(view.endCause).toBe(Cause.CALLBACK_END_CAUSE_MAX_DURATION);
    const bridgedAt = await recordedAt(callId, 'legsBridged');
    const bridgeEnded = await recordedAt(callId, 'bridgeEnded');
    expect(view.realDurationS).toBe(Math.floor((bridgeEnded.getTime() - bridgedAt.getTime() + 500) / 1000));
    expect(view.realDurationS).toBeGreaterThanOrEqual(4);
    p.edge.expectSippSucceeded(await user1.result);
    p.edge.expectSippSucceeded(await user2.result);
  });

  it('speaks the digits to user2 before the bridge (Say, then BridgeLegs on its PlaybackFinished)', async () => {
    const user1 = await uas(USER);
    const user2 = await uas(USER);
    const started = await service.callbacks.start(
      { user1: String(user1.port), user2: String(user2.port), maxDurationS: 8, annDigits2: '42' },
      { kind: 'grpc', idempotencyKey: `digits-${++n}` },
    );
    if (!started.ok) throw new Error(started.message);
    const view = await over(started.view.callbackId);
    expect(view.endCause).toBe(Cause.CALLBACK_END_CAUSE_MAX_DURATION);
    const spoken = await p.event(
      'playbackFinished',
      (e) =>
        e.event.playbackFinished.callId === view.callId && e.event.playbackFinished.legId === view.user2LegId,
    );
    // The bridge came after the digits were spoken to user2.
    expect(view.bridgedAt!.getTime()).toBeGreaterThanOrEqual(spoken.envelope!.recordedAt!.getTime());
    expect(view.realDurationS).toBeGreaterThanOrEqual(1);
    p.edge.expectSippSucceeded(await user1.result);
    p.edge.expectSippSucceeded(await user2.result);
  });

  it('user1 hanging up while user2 rings cancels user2: USER1_HANGUP', async () => {
    const user1 = await uas('uas-answers-then-bye.xml');
    const user2 = await uas('uas-rings-expect-cancel.xml');
    const view = await callbackOver(String(user1.port), String(user2.port), 0);
    expect(view).toMatchObject({ endCause: Cause.CALLBACK_END_CAUSE_USER1_HANGUP, realDurationS: 0 });
    p.edge.expectSippSucceeded(await user1.result);
    p.edge.expectSippSucceeded(await user2.result);
  });

  it('CancelCallback while they talk releases both: CANCELLED, with the real duration so far', async () => {
    const { callbackId, user1, user2 } = await bridgedCallback(0, 'cancel');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await service.callbacks.cancel(callbackId, 'operator')).toBe('cancelled');
    const view = await over(callbackId);
    expect(view.endCause).toBe(Cause.CALLBACK_END_CAUSE_CANCELLED);
    expect(view.realDurationS).toBeGreaterThanOrEqual(1);
    expect(view.realDurationS).toBeLessThanOrEqual(3);
    expect(await service.callbacks.cancel(callbackId, 'again')).toBe('over');
    p.edge.expectSippSucceeded(await user1.result);
    p.edge.expectSippSucceeded(await user2.result);
  });
});
