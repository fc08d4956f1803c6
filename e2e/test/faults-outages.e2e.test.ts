// NATS and PostgreSQL failing in the middle of calls (the calls A-E of fault-probes.md), with commands,
// BYEs and DTMF during the outage; afterwards the event log must equal the wire: every SIP action a sipp
// peer saw is in the log and the reverse, the digits collected in the order pressed, no event twice (log
// and CALL_EVENTS), no call refused on the wire left ringing in the log, no command answered "failed"
// for an action that happened, and a failed one answered UNAVAILABLE.
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { CALL_EVENTS_STREAM, FACTS_STREAM, connectBus, type NatsConnection } from '@callctl/bus';
import type { callControl } from '@callctl/proto';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  RtpEndpoint,
  makeToneFile,
  startSipp,
  waitFor,
  type RunningSipp,
  type SippResult,
} from '@callctl/testing';
import { killNats, pause, resume } from '../support/fault-injection.js';
import { startFaultPlatform, type FaultPlatform } from '../support/fault-platform.js';
import { serveFiles, type ToneServer } from '../support/tones.js';
import {
  duplicates,
  logOfCall,
  logOfSipCall,
  loggedDigits,
  logVersusWire,
  sipMessages,
  wireCall,
  type LogEvent,
} from '../support/wire-and-log.js';

jest.setTimeout(90_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
/** After the fault ends, the log must have caught up with the wire within this (far below the 30 s ack_wait). */
const SETTLE_MS = 15_000;
/**
 * Bound on the relay reaching the log's head once the fault is over: its next attempt (at most 6 s away),
 * a connection (5 s connect timeout) and a publish pass (5 s publish timeout) fit in it.
 */
const RELAY_CATCH_UP_MS = 15_000;
/** Ring timeout of call E: it expires during the outage, after E was answered on the wire. */
const E_RING_TIMEOUT_MS = 8000;
/** ack_wait of the orchestrator's facts consumer (its default): when an unacked fact comes back. */
const FACTS_ACK_WAIT_MS = 30_000;
/** The orchestrator's durable consumer of the facts (its FACTS_CONSUMER default). */
const FACTS_CONSUMER = 'call-orchestrator';

interface Fault {
  downMs: number;
  start(): Promise<void>;
  end(): Promise<void>;
}

interface Outcome {
  ok: boolean;
  status?: number;
  details?: string;
}
const outcome = async (request: Promise<unknown>): Promise<Outcome> => {
  try {
    await request;
    return { ok: true };
  } catch (error) {
    const { status: code, details } = error as { status?: number; details?: string };
    return { ok: false, status: code, details };
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the log equals the wire across a NATS or PostgreSQL outage', () => {
  let p: FaultPlatform;
  let files: ToneServer;
  let nc: NatsConnection;
  const rtps: RtpEndpoint[] = [];

  beforeAll(async () => {
    p = await startFaultPlatform();
    makeToneFile(p.edge.dir, 'tone.wav', 2, 1000);
    files = await serveFiles(p.edge.dir);
    nc = await connectBus({ servers: p.edge.nats.url, name: 'faults-e2e' });
  });
  afterAll(async () => {
    await nc?.close();
    for (const rtp of rtps) await rtp.close();
    await files?.close();
    await p?.close();
  });

  const caller = async (scenario: string, service: string): Promise<RunningSipp> => {
    const rtp = await RtpEndpoint.open();
    rtps.push(rtp);
    return startSipp({
      scenario: join(SCENARIOS, scenario),
      remote: `127.0.0.1:${p.edge.engine.sipPort}`,
      service,
      args: ['-key', 'rtp_port', String(rtp.port)],
      timeoutMs: 75_000,
    });
  };
  const offered = async (service: string) =>
    (await p.event('legInitiated', (e) => e.event.legInitiated.toUri.includes(`sip:${service}@`))).event
      .legInitiated;
  const answered = async (leg: { callId: string; legId: string }) => {
    await p.api.answerLeg({ ...leg, clientState: '' });
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === leg.legId);
  };

  /** The log once every call `callsOf` finds in it has ended, or SETTLE_MS passed (then as it is). */
  const settledLog = async (callsOf: (log: LogEvent[]) => LogEvent[][]) => {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const log = await p.readLog();
      const open = callsOf(log).filter(
        (events) => events.length > 0 && !events.some((e) => e.event?.$case === 'callEnded'),
      );
      if (open.length === 0 || Date.now() > deadline) return log;
      await sleep(500);
    }
  };

  /**
   * Event ids on CALL_EVENTS, read from the stream itself (every message it holds) once the relay has
   * published the log up to `head`. After an outage the relay may still be waiting out its retry backoff
   * (up to 5 s + 20 % between attempts, so up to 6 s after the fault ends) when the wire and the log have
   * settled: the stream is read when the relay's checkpoint says JetStream acked the head, or after
   * RELAY_CATCH_UP_MS, and the comparison then says what is missing. (A consumer's `info(true)` is the
   * info cached when it was created: waiting on its num_pending waited on nothing, and the ids read were
   * what the stream held at that moment.)
   */
  const callEventsIds = async (head: number) => {
    await waitFor(
      "the relay's checkpoint at the log's head",
      async () => (await p.relayCheckpoint()) >= head,
      RELAY_CATCH_UP_MS,
      100,
    ).catch(
      () => undefined, // compared below: the difference says what is missing
    );
    const last = (await (await jetstreamManager(nc)).streams.info(CALL_EVENTS_STREAM)).state.last_seq;
    const consumer = await jetstream(nc).consumers.get(CALL_EVENTS_STREAM, {
      deliver_policy: DeliverPolicy.All,
    });
    const ids: string[] = [];
    for (let seq = 0; seq < last;) {
      const batch = await consumer.fetch({ max_messages: Math.min(last - seq, 256), expires: 2000 });
      let got = 0;
      for await (const message of batch) {
        ids.push(message.headers?.get('Callctl-Event-Id') ?? '');
        seq = message.seq;
        got += 1;
      }
      if (got === 0) break; // the rest is not coming: the comparison says what is missing
    }
    return ids;
  };

  /** Calls A-E of fault-probes.md around one fault; returns every disagreement found, in words. */
  const runAround = async (name: string, fault: Fault) => {
    const s = (call: string) => `${name}-${call}`;
    // A: answered, a long prompt; hung up at F+1 s.
    const sippA = await caller('uac-answered-expect-bye.xml', s('a'));
    const a = await offered(s('a'));
    await answered(a);
    await p.api.playMedia({
      callId: a.callId,
      legId: a.legId,
      media: { $case: 'url', url: files.url('tone.wav') },
      repeat: 30,
      idempotencyKey: `play-${a.callId}`,
    });
    // B: answered and collecting 2 digits; presses 5 (INFO) and 1 (RFC 4733) at about F+2.5 s, BYE 1.8 s later.
    const sippB = await caller('uac-answered-info-5-rfc2833-1-then-bye.xml', s('b'));
    const b = await offered(s('b'));
    await answered(b);
    const collect = await p.api.collectDigits({
      callId: b.callId,
      legId: b.legId,
      maxDigits: 2,
      terminators: '',
      firstDigitTimeoutMs: 30_000,
      interDigitTimeoutMs: 20_000,
      idempotencyKey: `collect-${b.callId}`,
    });
    // C: ringing, answered at F+1 s. E's callee: a sipp UAS that answers.
    const sippC = await caller('uac-answered-expect-bye.xml', s('c'));
    const c = await offered(s('c'));
    const sippE = await startSipp({
      scenario: join(SCENARIOS, 'uas-answers-expect-bye.xml'),
      args: ['-key', 'rtp_port', '9'],
      timeoutMs: 75_000,
    });
    const livePositionBefore = p.events[p.events.length - 1]?.envelope?.globalPosition ?? 0;

    await fault.start();
    const faultAt = Date.now();
    await sleep(1000);
    const createE: callControl.CreateCallRequest = {
      toUri: `sip:${s('e')}@127.0.0.1:${sippE.port}`,
      fromUri: 'sip:faults@127.0.0.1',
      ringTimeoutMs: E_RING_TIMEOUT_MS,
      maxDurationMs: 0,
      clientState: '',
      idempotencyKey: `create-${s('e')}`,
    };
    let eCallId = '';
    const [hangupA, answerC, createCallE] = await Promise.all([
      outcome(p.api.hangup({ callId: a.callId, legId: '' })),
      outcome(p.api.answerLeg({ ...c, clientState: '' })),
      outcome(p.api.createCall(createE).then((r) => (eCallId = r.callId))),
    ]);
    // D: a new INVITE during the outage, which nobody answers.
    const sippD = await caller('uac-expect-503-or-480.xml', s('d'));
    await sleep(Math.max(0, fault.downMs - (Date.now() - faultAt)));
    await fault.end();
    const recoveredAt = Date.now();

    // Commands that failed did nothing (their effect must not be on the wire before this retry), and are
    // safe to retry with their idempotency key.
    if (!hangupA.ok) await outcome(p.api.hangup({ callId: a.callId, legId: '' }));
    if (!createCallE.ok) await outcome(p.api.createCall(createE).then((r) => (eCallId = r.callId)));
    await sleep(2000);
    // End what is still up on the wire: C (answered or not) and E.
    await outcome(p.api.hangup({ callId: c.callId, legId: '' }));
    if (eCallId) await outcome(p.api.hangup({ callId: eCallId, legId: '' }));
    const results: Record<string, SippResult> = {};
    for (const [call, sipp] of Object.entries({ A: sippA, B: sippB, C: sippC, D: sippD, E: sippE })) {
      results[call] = await sipp.stop(SETTLE_MS);
    }
    const wire = Object.fromEntries(Object.entries(results).map(([call, r]) => [call, wireCall(r.messages)]));
    // By call id where the test knows it (a leg refused late may lack its LegInitiated), else by SIP Call-ID.
    const callIds: Record<string, string> = { A: a.callId, B: b.callId, C: c.callId, E: eCallId };
    const logOf = (log: LogEvent[], call: string) =>
      callIds[call] ? logOfCall(log, callIds[call]) : logOfSipCall(log, wire[call]!.sipCallId);
    const log = await settledLog((log) => Object.keys(wire).map((call) => logOf(log, call)));

    const problems: string[] = [];
    for (const [call, w] of Object.entries(wire)) problems.push(...logVersusWire(call, w, logOf(log, call)));

    const logB = logOf(log, 'B');
    if (loggedDigits(logB) !== '51')
      problems.push(`B: digits received in the log "${loggedDigits(logB)}", pressed "51"`);
    const collected = logB.find(
      (e) => e.event?.$case === 'digitsCollected' && e.event.digitsCollected.collectId === collect.collectId,
    );
    const collectedDigits =
      collected?.event?.$case === 'digitsCollected' ? collected.event.digitsCollected.digits : '(none)';
    if (collectedDigits !== '51') problems.push(`B: DigitsCollected "${collectedDigits}", pressed "51"`);

    const commands: Array<[string, Outcome, string, string]> = [
      ['Hangup(A)', hangupA, 'A', 'BYE '],
      ['AnswerLeg(C)', answerC, 'C', 'SIP/2.0 200'],
      ['CreateCall(E)', createCallE, 'E', 'INVITE '],
    ];
    for (const [command, result, call, effect] of commands) {
      if (result.ok) continue;
      // A command that acted before the log was seen to be gone may still answer UNAVAILABLE, saying that its
      // action was done and will be recorded (README, "When something fails"): not a failure. That it was
      // recorded once the log was back is checked above (the log equals the wire).
      if (result.status === status.UNAVAILABLE && /was done and will be recorded/.test(result.details ?? ''))
        continue;
      if (result.status !== status.UNAVAILABLE) {
        problems.push(
          `${command} during the outage: status ${result.status} "${result.details}", not UNAVAILABLE`,
        );
      }
      const early = sipMessages(results[call]!.messages).find(
        (m) => m.direction === 'received' && m.firstLine.startsWith(effect) && m.atMs < recoveredAt,
      );
      if (early)
        problems.push(`${command} answered failed, yet ${call} got "${early.firstLine}" during the outage`);
    }

    const logged = await p.loggedEvents();
    const ids = logged.map((e) => e.id);
    const onNats = await callEventsIds(logged[logged.length - 1]?.position ?? 0);
    if (duplicates(onNats).length)
      problems.push(`CALL_EVENTS holds events twice: ${duplicates(onNats).join(', ')}`);
    const missing = ids.filter((id) => !onNats.includes(id));
    const extra = onNats.filter((id) => !ids.includes(id));
    if (missing.length || extra.length) {
      problems.push(
        `CALL_EVENTS differs from the log: ${missing.length} missing, ${extra.length} not in the log`,
      );
    }
    // Every fact settled: applied, or refused for good (a dead letter), none left to come back every ack_wait.
    const unsettled = async () => {
      const info = await (await jetstreamManager(nc)).consumers.info(FACTS_STREAM, FACTS_CONSUMER);
      return { pending: info.num_pending, unacked: info.num_ack_pending, redelivered: info.num_redelivered };
    };
    // An ack the orchestrator sent as nats-server was killed is lost with it: that fact comes back once, after
    // ack_wait, and must then be settled (recognised as recorded, acked). Anything else settles at once.
    const settled = async () => {
      const { pending, unacked } = await unsettled();
      return pending + unacked === 0;
    };
    await waitFor('every fact settled', settled, 5000)
      .catch(() => waitFor('every fact settled after one redelivery', settled, FACTS_ACK_WAIT_MS + 5000))
      .catch(async () =>
        problems.push(`facts not settled after the log did: ${JSON.stringify(await unsettled())}`),
      );
    // A WatchEvents stream open across the outage recovers by itself or ends with UNAVAILABLE (the
    // application opens it again from its position): either way the feed has the events recorded since.
    const last = log[log.length - 1]!.envelope!.globalPosition;
    const livePosition = () => p.events[p.events.length - 1]?.envelope?.globalPosition ?? 0;
    await waitFor(
      "the live WatchEvents feed to reach the log's end",
      () => livePosition() >= last,
      5000,
    ).catch(() =>
      problems.push(
        `the WatchEvents feed open during the outage stopped at position ${livePosition()} ` +
          `(was ${livePositionBefore} before the fault), the log is at ${last}`,
      ),
    );
    const badEndings = p.feedEndings.filter((ending) => ending !== status.UNAVAILABLE);
    if (badEndings.length)
      problems.push(`the WatchEvents feed ended with status ${badEndings.join(', ')}, not UNAVAILABLE`);
    return problems;
  };

  it('NATS stopped (SIGSTOP) for 10 s', async () => {
    const nats = () => p.edge.nats.process;
    const problems = await runAround('nats-stop', {
      downMs: 10_000,
      start: async () => pause(nats()),
      end: async () => resume(nats()),
    });
    expect(problems).toEqual([]);
  });

  it('NATS killed (SIGKILL) and restarted on its port and store 10 s later', async () => {
    const problems = await runAround('nats-kill', {
      downMs: 10_000,
      start: () => killNats(p.edge.nats),
      end: () => p.edge.nats.restart(),
    });
    expect(problems).toEqual([]);
  });

  it('PostgreSQL unreachable for 15 s', async () => {
    const problems = await runAround('pg-cut', {
      downMs: 15_000,
      start: async () => p.pgLink.cut(),
      end: async () => p.pgLink.restore(),
    });
    expect(problems).toEqual([]);
  });
});
