import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { media } from '@callctl/proto';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { createLogger, type Logger } from '@callctl/logging';
import {
  makeToneFile,
  RtpEndpoint,
  startNatsServer,
  startRtpengine,
  type NatsServerFixture,
  type RtpengineFixture,
  freePort,
} from '@callctl/testing';
import { NgClient } from '../../src/adapters/rtpengine/ng-client.js';
import { rtpengineRelay } from '../../src/adapters/rtpengine/session-commands.js';
import { LocalSink } from '../../src/adapters/local-media/local-sink.js';
import { openNatsWorkerState } from '../../src/adapters/nats/worker-state-store.js';
import type { LocalEndpoint } from '../../src/domain/local-answer-sdp.js';
import { answerWithSink } from '../../src/app/local-answer.js';
import { MediaEvents } from '../../src/app/media-events.js';
import type { MediaRelay, OfferParams, WorkerState } from '../../src/app/ports.js';

/** What an operation module needs around it: a real rtpengine, a real nats-server for its records. */
export interface OperationFixture {
  engine: RtpengineFixture;
  /** Where rtpengine sends its DTMF log. */
  dtmfLogPort: number;
  relay: MediaRelay;
  ng: NgClient;
  /** The fixture's own nats-server, connected (facts, records). */
  nats: NatsConnection;
  /** A fresh state of its own (its own worker instance name). */
  state: WorkerState;
  /** Opens the same state again, as the next run of the worker would. */
  reopenState(): Promise<WorkerState>;
  sink: LocalEndpoint;
  events: MediaEvents;
  /** Every media event emitted so far. */
  emitted: media.MediaEvent[];
  log: Logger;
  dir: string;
  tone(name: string, seconds: number, hz: number): string;
  /**
   * A caller the worker answers itself, straight through the relay (as MediaSessions does), in a new
   * session; returns the caller's RTP party (sending silence) and its offer.
   */
  localCaller(options?: { mediaEcho?: 'backwards' }): Promise<{ caller: RtpEndpoint; offer: OfferParams }>;
  /**
   * A call between two RTP parties the test owns, tags `caller` and `callee`, through the relay in a new
   * session, each party sending `hz` (caller, callee); closed with the fixture.
   */
  twoPartyCall(
    hz: readonly [number, number],
  ): Promise<{ sessionId: string; caller: RtpEndpoint; callee: RtpEndpoint }>;
  close(): Promise<void>;
}

export async function startOperationFixture(): Promise<OperationFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'media-operation-'));
  const dtmfLogPort = await freePort();
  const engine = await startRtpengine({ dtmfLogDest: `127.0.0.1:${dtmfLogPort}` });
  const natsServer: NatsServerFixture = await startNatsServer();
  const nats: NatsConnection = await connectBus({ servers: natsServer.url, name: 'operation-test' });
  const log = createLogger({ service: 'operation-test', level: 'silent' });
  const instance = `operation-test-${randomUUID()}`;
  const reopenState = () => openNatsWorkerState({ nc: nats, instance, timeoutMs: 3000 });
  const state = await reopenState();
  const ng = new NgClient({ host: '127.0.0.1', port: engine.ngPort, timeoutMs: 3000, log });
  const relay = rtpengineRelay(ng);
  const localSink = new LocalSink('127.0.0.1');
  const sink = await localSink.start();
  const emitted: media.MediaEvent[] = [];
  const events = new MediaEvents(() => Date.now());
  events.listen((event) => emitted.push(event));
  const endpoints: RtpEndpoint[] = [];
  return {
    engine,
    dtmfLogPort,
    relay,
    ng,
    nats,
    state,
    reopenState,
    sink,
    events,
    emitted,
    log,
    dir,
    tone: (name, seconds, hz) => makeToneFile(dir, name, seconds, hz),
    localCaller: async (options = {}) => {
      const caller = await RtpEndpoint.open();
      endpoints.push(caller);
      const offer: OfferParams = {
        sessionId: `session-${randomUUID()}`,
        fromTag: 'caller',
        sdp: caller.sdp(),
        ...options,
      };
      const offered = await relay.offer(offer);
      caller.useRemote(await answerWithSink(relay, sink, offer, 'local-caller', offered));
      caller.startTone(0);
      return { caller, offer };
    },
    twoPartyCall: async ([callerHz, calleeHz]) => {
      const sessionId = `session-${randomUUID()}`;
      const caller = await RtpEndpoint.open();
      const callee = await RtpEndpoint.open();
      endpoints.push(caller, callee);
      callee.useRemote(await relay.offer({ sessionId, fromTag: 'caller', sdp: caller.sdp() }));
      caller.useRemote(
        await relay.answer({ sessionId, fromTag: 'caller', toTag: 'callee', sdp: callee.sdp() }),
      );
      caller.startTone(callerHz);
      callee.startTone(calleeHz);
      return { sessionId, caller, callee };
    },
    close: async () => {
      await Promise.all(endpoints.map((e) => e.close()));
      await localSink.stop();
      ng.close();
      await nats.close();
      await natsServer.stop();
      await engine.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
