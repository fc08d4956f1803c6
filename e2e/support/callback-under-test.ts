// A test file's callback rig: the platform (with tts and the media library, where the announcements are
// uploaded as tone WAVs named by their 8-digit ids), the callback service pointed at it, the users' sipp
// UASs on the dial plan's ports, an IIF peer, and every callback event (WatchCallbackEvents from position 0,
// re-opened after a restart of the service); with its jest hooks. What a case opens is closed after it.
import { readFileSync } from 'node:fs';
import { createMediaLibraryClient } from '@callctl/client';
import type { callback } from '@callctl/proto';
import { makeToneFile, waitFor } from '@callctl/testing';
import { openIifPeer, type IifDatagram, type IifPeer } from './callback-iif.js';
import {
  dialPlanByPrefix,
  nextPosition,
  startCallbackProcess,
  watchCallbackEvents,
  type CallbackEvent,
  type CallbackServiceProcess,
} from './callback-service.js';
import {
  callbackUsers,
  talk,
  userWire,
  type CallbackUser,
  type CallbackUsers,
  type UserWire,
} from './callback-users.js';
import { startPlatform, type PlatformUnderTest } from './platform-under-test.js';
import type { ServiceProcess } from './services.js';

/** Announcements uploaded to the media library: user1's, user2's and the user2-failed one, each its tone. */
export const ANN1 = { id: '00080010', hz: 500 };
export const ANN2 = { id: '00080011', hz: 900 };
export const USER2_FAILED = { id: '00080012', hz: 1700 };
/** Each announcement's length. */
export const ANNOUNCEMENT_MS = 1500;
/** What each user's RTP socket sends once it knows where to. */
export const USER1_HZ = 700;
export const USER2_HZ = 1300;
/** How long a user rings before the platform gives up (CALLBACK_RING_TIMEOUT_MS). */
export const RING_TIMEOUT_MS = 4000;

export type CallbackEventCase = NonNullable<CallbackEvent['event']>['$case'];
export type CallbackEventOf<C extends CallbackEventCase> = CallbackEvent & {
  event: Extract<CallbackEvent['event'], { $case: C }>;
};

export interface CallbackUnderTest {
  p(): PlatformUnderTest;
  service(): CallbackServiceProcess;
  /** Users: `1...` reach user1's sipp, `2...` user2's; a user starting with `9` has no dial-plan rule. */
  users(): CallbackUsers;
  iif(): IifPeer;
  /** Every callback event so far, in log order. */
  events: CallbackEvent[];
  /** The first callback event of that kind satisfying `match`. */
  event<C extends CallbackEventCase>(
    kind: C,
    match?: (e: CallbackEventOf<C>) => boolean,
    timeoutMs?: number,
  ): Promise<CallbackEventOf<C>>;
  /** The id of the callback an IIF REQUEST with this id started. */
  callbackOfIif(iifId: string, timeoutMs?: number): Promise<string>;
  /** Events of one callback, in order, by kind. */
  kindsOf(callbackId: string): CallbackEventCase[];
  /** Sends an IIF REQUEST of these parameters and waits for its `ACK: id=..;code=ok`. */
  request(params: Record<string, string | number>): Promise<void>;
  /** request() of a callback from user1 to user2 (`more`: duration, announcements), then its callback id. */
  startOverIif(
    id: string,
    user1: CallbackUser,
    user2: CallbackUser,
    more: Record<string, string | number>,
  ): Promise<string>;
  /** The RESPONSE to the REQUEST of this id. */
  response(iifId: string, timeoutMs?: number): Promise<IifDatagram>;
  /** What a user's sipp saw, once it finished as its scenario says (else the test fails with sipp's account). */
  wireOf(user: CallbackUser): Promise<UserWire>;
  /** user1 and user2 hear each other (USER1_HZ, USER2_HZ). */
  talk(user1: CallbackUser, user2: CallbackUser): Promise<void>;
  /** SIGKILL the service; then startService() (same ports and database). */
  killService(): Promise<void>;
  startService(): Promise<void>;
}

export function callbackUnderTest(options: { serviceEnv?: NodeJS.ProcessEnv } = {}): CallbackUnderTest {
  let platform: PlatformUnderTest | undefined;
  let service: CallbackServiceProcess | undefined;
  let users: CallbackUsers | undefined;
  let iif: IifPeer | undefined;
  let stopWatch: () => void = () => undefined;
  const events: CallbackEvent[] = [];
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is started in beforeAll`);
    return value;
  };
  const watch = () => {
    stopWatch = watchCallbackEvents(
      need(service, 'the callback service').client,
      { fromPosition: nextPosition(events), callbackId: '' },
      events,
    );
  };
  const processes = (): ServiceProcess[] => [
    ...(service ? [service.process] : []),
    ...(platform ? [platform.orchestrator, platform.edge.sipEdge, platform.edge.mediaWorker] : []),
  ];

  beforeAll(async () => {
    platform = await startPlatform({}, { mediaServices: true });
    await uploadAnnouncements(platform);
    users = await callbackUsers(['1', '2']);
    service = await startCallbackProcess({
      natsUrl: platform.edge.nats.url,
      apiAddress: `127.0.0.1:${platform.orchestrator.grpcPort}`,
      dialPlan: dialPlanByPrefix(users.ports),
      env: {
        CALLBACK_RING_TIMEOUT_MS: String(RING_TIMEOUT_MS),
        CALLBACK_USER2_FAILED_ANNOUNCEMENT: USER2_FAILED.id,
        CALLBACK_IIF_RESPONSE_RETRY_MS: '500',
        ...options.serviceEnv,
      },
    });
    iif = await openIifPeer(service.iifPort);
    watch();
  });
  afterEach(async () => {
    await users?.cleanUp();
  });
  afterAll(async () => {
    stopWatch();
    await iif?.close();
    await service?.close();
    users?.close();
    await platform?.close();
  });

  const event = <C extends CallbackEventCase>(
    kind: C,
    match: (e: CallbackEventOf<C>) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<CallbackEventOf<C>> =>
    waitFor(
      `callback event ${kind}`,
      () => events.find((e) => e.event?.$case === kind && match(e as never)) as never,
      timeoutMs,
      20,
    ).catch((error: unknown) => {
      const seen = events.map((e) => `${e.envelope?.streamId} ${e.event?.$case}`).join('\n');
      const tails = processes()
        .map((s) => `--- ${s.name}\n${s.output().slice(-3000)}`)
        .join('\n');
      throw new Error(`${String(error)}\ncallback events:\n${seen}\n${tails}`);
    });

  return {
    p: () => need(platform, 'the platform'),
    service: () => need(service, 'the callback service'),
    users: () => need(users, 'the users'),
    iif: () => need(iif, 'the IIF peer'),
    events,
    event,
    async callbackOfIif(iifId, timeoutMs) {
      const requested = await event('requested', (e) => e.event.requested.origin?.iifId === iifId, timeoutMs);
      return requested.event.requested.callbackId;
    },
    kindsOf: (callbackId) =>
      events.filter((e) => e.envelope?.streamId === `callback-${callbackId}`).map((e) => e.event!.$case),
    async request(params) {
      const peer = need(iif, 'the IIF peer');
      await peer.request(params);
      const ack = await peer.next('ACK', String(params.id));
      if (ack.text !== `ACK: id=${params.id};code=ok`)
        throw new Error(`REQUEST ${params.id} answered ${ack.text}`);
    },
    async startOverIif(id, user1, user2, more) {
      await this.request({ id, user1: user1.name, user2: user2.name, ...more });
      return this.callbackOfIif(id);
    },
    response: (iifId, timeoutMs = 30_000) => need(iif, 'the IIF peer').next('RESPONSE', iifId, timeoutMs),
    async wireOf(user) {
      const result = await user.sipp.result;
      need(platform, 'the platform').edge.expectSippSucceeded(result);
      return userWire(result);
    },
    talk: (user1, user2) => talk(user1, user2, { user1Hz: USER1_HZ, user2Hz: USER2_HZ }),
    async killService() {
      stopWatch();
      await need(service, 'the callback service').kill();
    },
    async startService() {
      await need(service, 'the callback service').start();
      watch();
    },
  };
}

/** The three announcements as tone WAVs in the media library, named `<id>.wav` (how the service finds them). */
async function uploadAnnouncements(platform: PlatformUnderTest): Promise<void> {
  const library = createMediaLibraryClient({ address: `127.0.0.1:${platform.orchestrator.grpcPort}` });
  try {
    for (const { id, hz } of [ANN1, ANN2, USER2_FAILED]) {
      const file = makeToneFile(platform.edge.dir, `${id}.wav`, ANNOUNCEMENT_MS / 1000, hz, { volume: 0.25 });
      await library.uploadMedia({ name: `${id}.wav`, data: readFileSync(file) });
    }
  } finally {
    library.close();
  }
}

/** The view of a callback now. */
export const viewOf = async (rig: CallbackUnderTest, callbackId: string): Promise<callback.CallbackView> => {
  const { callback: view } = await rig.service().client.getCallback({ callbackId });
  if (!view) throw new Error(`GetCallback(${callbackId}) returned no view`);
  return view;
};
