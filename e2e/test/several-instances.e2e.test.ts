// Two instances of every service on one box (each sip-edge with its own SIP engine, each media-worker with
// its own rtpengine), calls spread over them, and one instance of each kind killed with SIGKILL in the
// middle of the calls (and started again under its name, as Kubernetes restarts a container in its pod).
// Every call is then ended, by the caller's BYE or by HangupCall, and classified: kept (commands still work
// and it ends cleanly), ended (by the platform, with a cause) or lost (no end in the log, or a session left
// in an rtpengine). None may be lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCallControlClient, NO_RETRIES, type CallControlClient } from '@callctl/client';
import { callEvents, type callControl } from '@callctl/proto';
import {
  createTestDatabase,
  freePort,
  makeToneFile,
  startNatsServer,
  startRtpengine,
  startSipp,
  waitFor,
  type NatsServerFixture,
  type RtpengineFixture,
  type RunningSipp,
  type TestDatabase,
} from '@callctl/testing';
import {
  startMediaWorkerProcess,
  startOrchestratorProcess,
  startRecordingProcess,
  startSipEdgeProcess,
  startSipEngine,
  startTtsProcess,
  type GrpcServiceProcess,
  type ServiceProcess,
  type SipEngineProcess,
} from '../support/services.js';
import { eventWaiter } from '../support/platform-under-test.js';
import { serveFiles, type ToneServer } from '../support/tones.js';

jest.setTimeout(240_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const C = callEvents.EndCause;
const PAIR = ['a', 'b'] as const;
type Side = (typeof PAIR)[number];

/** A service instance and how to start it again under the same name and port. */
interface Instance {
  name: string;
  proc: GrpcServiceProcess;
  restart(): Promise<void>;
}

async function instance(name: string, start: (grpcPort?: number) => Promise<GrpcServiceProcess>) {
  const it: Instance = {
    name,
    proc: await start(),
    restart: async () => {
      it.proc = await start(it.proc.grpcPort);
    },
  };
  return it;
}

describe('two instances of every service, one of each kind killed mid-call', () => {
  const dir = mkdtempSync(join(tmpdir(), 'several-instances-e2e-'));
  let nats: NatsServerFixture;
  let db: TestDatabase;
  let recordingDb: TestDatabase;
  let files: ToneServer;
  const rtpengines: Record<Side, RtpengineFixture> = {} as never;
  const engines: Record<Side, SipEngineProcess> = {} as never;
  const workers: Record<Side, Instance> = {} as never;
  const tts: Record<Side, Instance> = {} as never;
  const recorders: Record<Side, Instance> = {} as never;
  const edges: Record<Side, Instance> = {} as never;
  const orchestrators: Record<Side, Instance> = {} as never;
  const apis: Partial<Record<Side, CallControlClient>> = {};
  const sipps: RunningSipp[] = [];
  const events: callControl.WatchEventsResponse[] = [];
  const all = (): ServiceProcess[] =>
    [workers, tts, recorders, edges, orchestrators].flatMap((kind) =>
      PAIR.flatMap((side) => (kind[side] ? [kind[side].proc] : [])),
    );
  const event = eventWaiter(events, all);

  const api = (side: Side) =>
    (apis[side] ??= createCallControlClient({
      address: `127.0.0.1:${orchestrators[side].proc.grpcPort}`,
      deadlineMs: 30_000,
      retry: NO_RETRIES,
    }));

  beforeAll(async () => {
    nats = await startNatsServer();
    db = await createTestDatabase();
    recordingDb = await createTestDatabase();
    makeToneFile(dir, 'tone.wav', 10, 1000);
    files = await serveFiles(dir);
    const anyPorts: Record<string, number> = {};
    for (const side of PAIR) {
      const dtmfPort = await freePort();
      rtpengines[side] = await startRtpengine({ dtmfLogDest: `127.0.0.1:${dtmfPort}` });
      engines[side] = await startSipEngine();
      tts[side] = await instance(`tts-${side}`, (grpcPort) =>
        startTtsProcess({
          cacheDir: join(dir, `tts-${side}`),
          env: {
            NATS_URL: nats.url,
            TTS_INSTANCE: `tts-${side}`,
            ...(grpcPort ? { GRPC_PORT: String(grpcPort) } : {}),
          },
        }),
      );
      anyPorts.tts ??= tts[side].proc.grpcPort;
      workers[side] = await instance(`media-worker-${side}`, (grpcPort) =>
        startMediaWorkerProcess({
          natsUrl: nats.url,
          rtpengineNgPort: rtpengines[side].ngPort,
          dtmfPort,
          cacheDir: join(dir, `cache-${side}`),
          mediaStores: { ttsGrpcPort: anyPorts.tts! },
          env: { MEDIA_WORKER_INSTANCE: `media-worker-${side}` },
          ...(grpcPort ? { grpcPort } : {}),
        }),
      );
      anyPorts.media ??= workers[side].proc.grpcPort;
    }
    for (const side of PAIR) {
      recorders[side] = await instance(`recording-${side}`, (grpcPort) =>
        startRecordingProcess({
          databaseUrl: recordingDb.url,
          natsUrl: nats.url,
          mediaWorkerGrpcPort: anyPorts.media!,
          spoolDir: join(dir, `spool-${side}`),
          recordingDir: join(dir, 'recordings'),
          env: { RECORDING_INSTANCE: `recording-${side}` },
          ...(grpcPort ? { grpcPort } : {}),
        }),
      );
      anyPorts.recording ??= recorders[side].proc.grpcPort;
      edges[side] = await instance(`sip-edge-${side}`, (grpcPort) =>
        startSipEdgeProcess({
          natsUrl: nats.url,
          engine: engines[side],
          mediaWorkerGrpcPort: anyPorts.media!,
          env: { SIP_EDGE_INSTANCE: `sip-edge-${side}` },
          ...(grpcPort ? { grpcPort } : {}),
        }),
      );
      anyPorts.edge ??= edges[side].proc.grpcPort;
    }
    for (const side of PAIR)
      orchestrators[side] = await instance(`call-orchestrator-${side}`, (grpcPort) =>
        startOrchestratorProcess({
          natsUrl: nats.url,
          databaseUrl: db.url,
          sipEdgeGrpcPort: anyPorts.edge!,
          mediaWorkerGrpcPort: anyPorts.media!,
          mediaStores: { ttsGrpcPort: anyPorts.tts!, recordingGrpcPort: anyPorts.recording! },
          // Reconciliation often enough to matter within the test.
          env: { LEG_RECONCILE_INTERVAL_MS: '5000' },
          ...(grpcPort ? { grpcPort } : {}),
        }),
      );
    // Every event of every call, from orchestrator b (a is the one killed).
    const feed = api('b').watchEvents({ fromPosition: 0, callId: '' }, { resume: false });
    void (async () => {
      for await (const e of feed) events.push(e);
    })().catch(() => undefined);
  });

  afterAll(async () => {
    await Promise.all(sipps.map((s) => s.stop(1000)));
    for (const client of Object.values(apis)) client.close();
    for (const kind of [orchestrators, edges, recorders, workers, tts])
      for (const side of PAIR) await kind[side]?.proc.stop();
    for (const side of PAIR) {
      await engines[side]?.stop();
      await rtpengines[side]?.stop();
    }
    await files?.close();
    await nats?.stop();
    await db?.drop();
    await recordingDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  interface PlacedCall {
    playbackId?: string;
    key: string;
    callId: string;
    legId: string;
    sipp: RunningSipp;
    /** How it ends: the caller's BYE, or HangupCall. */
    endBy: 'bye' | 'api';
    /** Commands on it after the kills worked. */
    commandsWorked?: boolean;
  }

  const ofCall = (callId: string) => events.filter((e) => e.envelope?.streamId === `call-${callId}`);
  const ownerOf = (callId: string, kind: 'sip' | 'media') =>
    kind === 'sip'
      ? PAIR.find((side) => edges[side].proc.output().includes(callId))
      : PAIR.find((side) => workers[side].proc.output().includes(callId));

  it('spreads calls over both instances, keeps or cleanly ends every call through the kills, loses none', async () => {
    const calls: PlacedCall[] = [];
    // Inbound: 3 callers to each SIP engine; two of each hang up themselves (45 s after the answer, after
    // the kills), one is hung up through the API.
    for (const side of PAIR)
      for (let i = 0; i < 3; i++) {
        const key = `in-${side}-${i}`;
        const endBy = i === 1 ? 'api' : 'bye';
        const sipp = await startSipp({
          scenario: join(
            SCENARIOS,
            endBy === 'bye' ? 'uac-answered-bye-after-45s.xml' : 'uac-answered-expect-bye.xml',
          ),
          remote: `127.0.0.1:${engines[side].sipPort}`,
          service: key,
          args: ['-key', 'rtp_port', '9'],
          timeoutMs: 180_000,
        });
        sipps.push(sipp);
        const initiated = await event('legInitiated', (e) =>
          e.event.legInitiated.toUri.includes(`sip:${key}@`),
        );
        const { callId, legId } = initiated.event.legInitiated;
        await api(i % 2 ? 'a' : 'b').answerLeg({ callId, legId, clientState: key } as never);
        calls.push({ key, callId, legId, sipp, endBy });
      }
    // Outbound: 4 calls through CreateCall (half on each orchestrator) to callees that wait for our BYE.
    for (let i = 0; i < 4; i++) {
      const key = `out-${i}`;
      const sipp = await startSipp({
        scenario: join(SCENARIOS, 'uas-answers-expect-bye.xml'),
        args: ['-key', 'rtp_port', '9'],
        timeoutMs: 180_000,
      });
      sipps.push(sipp);
      const created = await api(i % 2 ? 'a' : 'b').createCall({
        toUri: `sip:callee@127.0.0.1:${sipp.port}`,
        fromUri: 'sip:app@127.0.0.1',
        ringTimeoutMs: 0,
        maxDurationMs: 0,
        clientState: key,
        idempotencyKey: key,
      } as never);
      calls.push({ key, callId: created.callId, legId: created.legId, sipp, endBy: 'api' });
    }
    for (const c of calls) await event('legAnswered', (e) => e.event.legAnswered.legId === c.legId, 30_000);
    // Every call plays a tone; every other one is recorded.
    for (const [i, c] of calls.entries()) {
      const at = api(i % 2 ? 'a' : 'b');
      const played = await at.playMedia({
        callId: c.callId,
        legId: c.legId,
        media: { $case: 'url', url: files.url('tone.wav') },
        repeat: 10,
        idempotencyKey: `play-${c.key}`,
      } as never);
      c.playbackId = (played as { playbackId: string }).playbackId;
      if (i % 2 === 0) await at.startRecording({ callId: c.callId, idempotencyKey: `rec-${c.key}` } as never);
    }

    // Spread: both sip-edges and both media-workers hold calls.
    const spread = (kind: 'sip' | 'media') =>
      PAIR.map((side) => calls.filter((c) => ownerOf(c.callId, kind) === side).length);
    const sipSpread = spread('sip');
    const mediaSpread = spread('media');
    const rtpSpread = await Promise.all(
      PAIR.map(async (side) => (await rtpengines[side].listCalls()).length),
    );
    console.log(
      `spread over a/b: sip-edge ${sipSpread}, media-worker ${mediaSpread}, rtpengine ${rtpSpread}`,
    );
    expect(sipSpread.every((n) => n > 0)).toBe(true);
    expect(mediaSpread.every((n) => n > 0)).toBe(true);
    const owners = new Map(
      calls.map((c) => [
        c.callId,
        `sip-edge-${ownerOf(c.callId, 'sip')}, media-worker-${ownerOf(c.callId, 'media')}`,
      ]),
    );
    const onWorkerA = calls.filter((c) => ownerOf(c.callId, 'media') === 'a').map((c) => c.key);
    const onEdgeA = new Set(calls.filter((c) => ownerOf(c.callId, 'sip') === 'a').map((c) => c.callId));

    // One of each kind killed; all but the orchestrator started again under their names.
    await orchestrators.a.proc.kill();
    await tts.a.proc.kill();
    await recorders.a.proc.kill();
    await workers.a.proc.kill();
    await edges.a.proc.kill();
    // The media-worker comes back last: sip-edge a, back first, ends the calls it held and deletes their
    // sessions, those on the dead worker once it answers again.
    await Promise.all([tts.a.restart(), recorders.a.restart(), edges.a.restart()]);
    await workers.a.restart();

    // Commands on every call through the surviving orchestrator (the callers that hang up themselves first): a call sip-edge a held is ended by its
    // restart (its SIP engine BYEs the caller); every other call is controlled as before.
    for (const c of [...calls].sort((x, y) => (x.endBy === y.endBy ? 0 : x.endBy === 'bye' ? -1 : 1))) {
      if (onEdgeA.has(c.callId)) continue;
      await api('b').stopMedia({ callId: c.callId, playbackId: c.playbackId } as never);
      const said = (await api('b').say({
        callId: c.callId,
        legId: c.legId,
        speech: { input: { $case: 'text', text: `call ${c.key}` }, voice: '', provider: '' },
        repeat: 1,
        idempotencyKey: `say-${c.key}`,
      } as never)) as { playbackId: string };
      await event('playbackFinished', (e) => e.event.playbackFinished.playbackId === said.playbackId, 30_000);
      c.commandsWorked = true;
    }
    for (const c of calls) {
      if (onEdgeA.has(c.callId) || c.endBy === 'bye') continue;
      await api('b').hangup({ callId: c.callId, legId: '' } as never);
    }

    // Every call ends, whatever ended it.
    for (const c of calls) await event('callEnded', (e) => e.event.callEnded.callId === c.callId, 90_000);
    const sippResults = await Promise.all(calls.map((c) => c.sipp.result));

    const classified = calls.map((c, i) => {
      const log = ofCall(c.callId);
      const legs = new Set(
        log.flatMap((e) => (e.event?.$case === 'legInitiated' ? [e.event.legInitiated.legId] : [])),
      );
      const ended = new Set(
        log.flatMap((e) => (e.event?.$case === 'legEnded' ? [e.event.legEnded.legId] : [])),
      );
      const callEnded = log.find((e) => e.event?.$case === 'callEnded');
      const dangling = [...legs].filter((l) => !ended.has(l));
      const cleanOnWire = sippResults[i]!.exitCode === 0;
      const cause = log.flatMap((e) => (e.event?.$case === 'legEnded' ? [e.event.legEnded.cause] : []))[0];
      if (!callEnded || dangling.length > 0 || !cleanOnWire) return { c, outcome: 'lost' as const, cause };
      if (c.commandsWorked) return { c, outcome: 'kept' as const, cause };
      return { c, outcome: 'ended' as const, cause };
    });
    // Nothing left in either rtpengine (a session the killed sip-edge held is deleted once its worker is back).
    const leftovers = async () =>
      (await Promise.all(PAIR.map((side) => rtpengines[side].listCalls()))).flat();
    await waitFor(
      'no session left in either rtpengine',
      async () => (await leftovers()).length === 0,
      60_000,
    ).catch(async (error: unknown) => {
      const left = await leftovers();
      const mentions = all()
        .flatMap((proc) =>
          proc
            .output()
            .split('\n')
            .map((line) => `${proc.name}: ${line}`),
        )
        .filter((line) => left.some((id) => line.includes(id)));
      throw new Error(`${String(error)}: ${left.join(', ')}\n${mentions.slice(-40).join('\n')}`);
    });
    // Every recording started ends in a final RecordingSaved (a part per run of its recorder) or fails.
    const recordings = calls.flatMap((c) =>
      ofCall(c.callId).flatMap((e) =>
        e.event?.$case === 'recordingStarted' ? [{ c, id: e.event.recordingStarted.recordingId }] : [],
      ),
    );
    const recordingOutcomes = await Promise.all(
      recordings.map(async ({ c, id }) => {
        const last = await waitFor(
          `recording ${id} finished`,
          () =>
            ofCall(c.callId).find(
              (e) =>
                (e.event?.$case === 'recordingSaved' &&
                  e.event.recordingSaved.recordingId === id &&
                  e.event.recordingSaved.final) ||
                (e.event?.$case === 'recordingFailed' && e.event.recordingFailed.recordingId === id),
            ),
          30_000,
        );
        const parts = ofCall(c.callId).filter(
          (e) => e.event?.$case === 'recordingSaved' && e.event.recordingSaved.recordingId === id,
        ).length;
        const holder = PAIR.find((side) => recorders[side].proc.output().includes(id));
        return { key: c.key, outcome: last.event?.$case, parts, holder };
      }),
    );
    const count = (outcome: string) => classified.filter((x) => x.outcome === outcome).length;
    console.log(
      `several instances, ${calls.length} calls (sip-edge a held ${onEdgeA.size}), after kill -9 of orchestrator a, ` +
        `sip-edge a, media-worker a, recording a, tts a: kept ${count('kept')}, ended cleanly ${count('ended')}, ` +
        `lost ${count('lost')}\n` +
        classified
          .map(
            (x) =>
              `  ${x.c.key} (${owners.get(x.c.callId)}, ${x.c.endBy}): ${x.outcome} (${C[x.cause ?? 0]})`,
          )
          .join('\n') +
        `\nrecordings: ${recordingOutcomes.map((r) => `${r.key} on ${r.holder}: ${r.outcome}, ${r.parts} part(s)`).join('; ')}`,
    );
    expect(recordingOutcomes.map((r) => r.outcome)).toEqual(recordings.map(() => 'recordingSaved'));
    expect(recordingOutcomes.some((r) => r.holder === 'a')).toBe(true);
    // The kills met calls that went on: one kept call had its media on the worker killed.
    expect(classified.some((x) => x.outcome === 'kept' && onWorkerA.includes(x.c.key))).toBe(true);
    expect(classified.filter((x) => x.outcome === 'lost').map((x) => x.c.key)).toEqual([]);
    // The calls sip-edge a held end with the cause of its restart; every other one is kept.
    for (const x of classified) {
      if (onEdgeA.has(x.c.callId))
        expect([x.outcome, x.cause]).toEqual(['ended', C.END_CAUSE_PLATFORM_FAILURE]);
      else
        expect([x.outcome, x.cause]).toEqual([
          'kept',
          x.c.endBy === 'bye' ? C.END_CAUSE_REMOTE_HANGUP : C.END_CAUSE_LOCAL_HANGUP,
        ]);
    }
  });
});
