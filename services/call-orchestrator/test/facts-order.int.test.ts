// Facts under faults, against the nats-server and PostgreSQL the stack installs: a refused fact is kept as a
// dead letter and never redelivered; a fact that fails for a transient reason is retried in place, before
// the call's later facts; digits from sip-edge and the media-worker are collected in the order they were
// pressed; a ring timeout yields to an answer that already happened.
import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { FACTS_STREAM } from '@callctl/bus';
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { callControl, callEvents, media } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { pgFactDeadLetters } from '../src/adapters/dead-letters/fact-dead-letters.js';
import { startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';

jest.setTimeout(30_000);

const { EndCause } = callEvents;
const ACK_WAIT_MS = 1000;

/**
 * The media-worker's FlushFacts, scripted: a test says what the worker still holds for a call and
 * publishes it when asked (as its NATS client would, reconnecting seconds after sip-edge's).
 */
const heldByWorker = new Map<string, () => Promise<void>>();
let worker: Server;

let h: Harness;
beforeAll(async () => {
  worker = new Server();
  worker.addService(media.MediaWorkerService, {
    flushFacts: (call: ServerUnaryCall<media.FlushFactsRequest, object>, done: sendUnaryData<object>) =>
      void (heldByWorker.get(call.request.callId)?.() ?? Promise.resolve()).then(() => done(null, {})),
  });
  const port = await new Promise<number>((resolve, reject) =>
    worker.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  h = await startHarness({
    orchestrator: { facts: { ackWaitMs: ACK_WAIT_MS } },
    mediaWorker: { address: `127.0.0.1:${port}`, mediaFilesDir: '/nonexistent' },
  });
});
afterAll(async () => {
  await h?.stop();
  worker?.forceShutdown();
});

async function answeredInboundCall() {
  const ids = await h.sipEdge.offerInboundCall();
  await waitFor('inbound call recorded', async () => (await h.stream(ids.callId)).length === 3);
  await h.client.answerLeg(ids.callId, ids.legId);
  return ids;
}

const sipDigit = (callId: string, legId: string, digit: string) =>
  h.sipEdge.publishSipFact(callId, legId, {
    $case: 'dtmfInfoReceived',
    dtmfInfoReceived: { digit, durationMs: 80 },
  });

const mediaDigit = (callId: string, legId: string, digit: string, occurredAtMs = Date.now()) =>
  h.sipEdge.publishMediaFact(
    callId,
    { $case: 'dtmfDetected', dtmfDetected: { legId, tag: legId, digit, durationMs: 80, method: 1 } },
    randomUUID(),
    { ...h.sipEdge.stamp('media', callId), occurredAtMs },
  );

async function collected(callId: string): Promise<string> {
  const done = await waitFor('digits collected', async () =>
    (await h.stream(callId)).find((e) => e.type === 'DigitsCollected'),
  );
  return (done.data as { digits?: string }).digits ?? '';
}

/**
 * The first `times` appends to one call's stream fail, as a database that is failing over would. The
 * attempts are counted by a sequence, which the failing transaction's rollback does not undo.
 */
async function failAppendsOf(callId: string, times: number) {
  await h.pool.query(
    `CREATE TABLE IF NOT EXISTS test_append_failures (stream_id text PRIMARY KEY, times int)`,
  );
  await h.pool.query(`
    CREATE OR REPLACE FUNCTION test_fail_append() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE budget int;
    BEGIN
      SELECT times INTO budget FROM test_append_failures WHERE stream_id = NEW.stream_id;
      IF budget IS NOT NULL AND nextval(format('%I', 'attempts_' || NEW.stream_id)) <= budget THEN
        RAISE EXCEPTION 'test: append refused for now' USING ERRCODE = '40001';
      END IF;
      RETURN NEW;
    END $$`);
  await h.pool.query(`
    DO $$ BEGIN
      CREATE TRIGGER test_fail_append BEFORE INSERT ON event_log FOR EACH ROW EXECUTE FUNCTION test_fail_append();
    EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  const sequence = `"attempts_call-${callId}"`;
  await h.pool.query(`CREATE SEQUENCE ${sequence}`);
  await h.pool.query(`INSERT INTO test_append_failures VALUES ($1, $2)`, [`call-${callId}`, times]);
  /** Rows whose insert was tried so far. */
  return async () =>
    Number((await h.pool.query<{ n: string }>(`SELECT last_value AS n FROM ${sequence}`)).rows[0]!.n);
}

describe('a fact the domain refuses', () => {
  it('is kept as a dead letter and terminated: never redelivered, even after the ack wait', async () => {
    const { callId, legId } = await answeredInboundCall();
    const factId = await sipDigit(callId, legId, 'X');
    const letters = pgFactDeadLetters(h.pool);
    const [letter] = await waitFor('the dead letter', async () => {
      const l = await letters.list({ callId });
      return l.length > 0 && l;
    });
    expect(letter).toMatchObject({
      factId,
      callId,
      subject: `facts.sip.${callId}`,
      kind: 'invalid_argument',
    });
    expect(letter!.payload.length).toBeGreaterThan(0);
    // Three ack waits later: JetStream did not deliver it again (a TERM with a reason would be ignored by
    // nats-server 2.9 and the fact would come back every ack wait).
    await new Promise((resolve) => setTimeout(resolve, 3 * ACK_WAIT_MS + 500));
    const jsm = await jetstreamManager(h.nc);
    const consumer = await jsm.consumers.info(FACTS_STREAM, 'call-orchestrator');
    expect(consumer.num_ack_pending).toBe(0);
    expect(consumer.num_redelivered).toBe(0);
    expect((await letters.list({ callId }))[0]).toMatchObject({ deliveryCount: 1 });
    expect(typesOf(await h.stream(callId))).not.toContain('DtmfReceived');
  });
});

describe('a fact that fails for a transient reason', () => {
  it('is retried in place and applied before the next fact of its call', async () => {
    const { callId, legId } = await answeredInboundCall();
    await h.client.collectDigits({ callId, legId, maxDigits: 2, idempotencyKey: 'k' });
    await waitFor('collecting', async () =>
      typesOf(await h.stream(callId)).includes('DigitCollectionStarted'),
    );
    const appendsTried = await failAppendsOf(callId, 2);
    await sipDigit(callId, legId, '5');
    await sipDigit(callId, legId, '1');
    expect(await collected(callId)).toBe('51');
    // Rows tried: "5" refused twice, then "5", then "1" with the DigitsCollected it completes.
    expect(await appendsTried()).toBe(5);
    const digits = (await h.stream(callId))
      .filter((e) => e.type === 'DtmfReceived')
      .map((e) => (e.data as { digit: string }).digit);
    expect(digits).toEqual(['5', '1']);
    expect(await pgFactDeadLetters(h.pool).list({ callId })).toEqual([]);
  });
});

describe('digits from both sources', () => {
  it('collects "5" (SIP INFO), "1" (media), then the BYE, as "51"', async () => {
    const { callId, legId } = await answeredInboundCall();
    await h.client.collectDigits({ callId, legId, maxDigits: 4, idempotencyKey: 'k' });
    await sipDigit(callId, legId, '5');
    await mediaDigit(callId, legId, '1');
    await h.sipEdge.ended(callId, legId, EndCause.END_CAUSE_REMOTE_HANGUP);
    expect(await collected(callId)).toBe('51');
  });

  it('collects a digit the media-worker heard before the BYE although its fact came after it', async () => {
    const { callId, legId } = await answeredInboundCall();
    await h.client.collectDigits({ callId, legId, maxDigits: 4, idempotencyKey: 'k' });
    await sipDigit(callId, legId, '5');
    const pressedAtMs = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await h.sipEdge.ended(callId, legId, EndCause.END_CAUSE_REMOTE_HANGUP);
    await mediaDigit(callId, legId, '1', pressedAtMs);
    expect(await collected(callId)).toBe('51');
    expect((await h.client.getCall(callId)).ended).toBe(true);
  });
});

describe('digits held up by a NATS outage', () => {
  /** When the outage began: 10 s before the facts reach the stream. */
  let outageAt = 0;
  /** What sip-edge saw 10 s ago, `atMs` into the outage, published only now. */
  const lateSipFact = (
    callId: string,
    legId: string,
    fact: Parameters<typeof h.sipEdge.publishSipFact>[2],
    atMs: number,
  ) =>
    h.sipEdge.publishSipFact(callId, legId, fact, randomUUID(), undefined, {
      ...h.sipEdge.stamp('sip', callId),
      occurredAtMs: outageAt + atMs,
    });
  const collecting = async () => {
    const ids = await answeredInboundCall();
    await h.client.collectDigits({ ...ids, maxDigits: 4, idempotencyKey: 'k' });
    await waitFor('collecting', async () =>
      typesOf(await h.stream(ids.callId)).includes('DigitCollectionStarted'),
    );
    outageAt = Date.now() - 10_000;
    return ids;
  };
  const five = {
    $case: 'dtmfInfoReceived' as const,
    dtmfInfoReceived: { digit: '5', durationMs: 80, method: 1 },
  };
  const bye = {
    $case: 'legEnded' as const,
    legEnded: { cause: EndCause.END_CAUSE_REMOTE_HANGUP, sipStatus: 0, reason: '' },
  };

  it('are collected in the order pressed although the media "1" reached the stream before the SIP "5"', async () => {
    const { callId, legId } = await collecting();
    await mediaDigit(callId, legId, '1', outageAt + 200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await lateSipFact(callId, legId, five, 100);
    await lateSipFact(callId, legId, bye, 300);
    expect(await collected(callId)).toBe('51');
  });

  it("wait at the BYE for what the media-worker still holds, published seconds after sip-edge's facts", async () => {
    const { callId, legId } = await collecting();
    heldByWorker.set(callId, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await mediaDigit(callId, legId, '1', outageAt + 200);
    });
    await lateSipFact(callId, legId, five, 100);
    await lateSipFact(callId, legId, bye, 300);
    expect(await collected(callId)).toBe('51');
    expect((await h.client.getCall(callId)).ended).toBe(true);
  });
});

describe('a ring timeout', () => {
  const ringing = async (key: string) => {
    const { callId, legId } = await h.client.createCall({ idempotencyKey: key, ringTimeoutMs: 300 });
    await h.sipEdge.publishSipFact(callId, legId, {
      $case: 'legProgress',
      legProgress: { sipStatus: 180, earlyMedia: false },
    });
    return { callId, legId };
  };

  it('records the answer sip-edge reports, not NO_ANSWER, when the answer fact is still on its way', async () => {
    const { callId, legId } = await ringing('k-held');
    // The answer's fact overtook its predecessor, so the consumer holds it (up to 2 s) when the timer fires.
    const next = h.sipEdge.stamp('sip', callId);
    await h.sipEdge.publishSipFact(
      callId,
      legId,
      { $case: 'legAnswered', legAnswered: {} },
      randomUUID(),
      undefined,
      {
        ...next,
        sourceSequence: next.sourceSequence + 1,
      },
    );
    await waitFor(
      'answer recorded',
      async () => typesOf(await h.stream(callId)).includes('LegAnswered'),
      8000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const call = await h.client.getCall(callId);
    expect(call.ended).toBe(false);
    expect(call.legs[0]!.state).toBe(callControl.LegState.LEG_STATE_ANSWERED);
    expect(h.sipEdge.received('hangupLeg').filter((r) => r.legId === legId)).toHaveLength(0);
  });

  it('records LegAnswered when sip-edge holds the leg answered but its fact never came (NATS was down)', async () => {
    const { callId, legId } = await ringing('k-edge');
    h.sipEdge.heldLegs = [{ callId, legId, sipCallId: `${legId}@x`, sipState: 'answered' }];
    const events = await waitFor('the answer', async () => {
      const s = await h.stream(callId);
      return s.some((e) => e.type === 'LegAnswered') && s;
    });
    expect(typesOf(events)).not.toContain('LegEnded');
    expect(h.sipEdge.received('hangupLeg').filter((r) => r.legId === legId)).toHaveLength(0);
    h.sipEdge.heldLegs = [];
  });

  it('acts on nothing while the sip-edge holding the call cannot be asked, then records its answer', async () => {
    const { callId, legId } = await ringing('k-edge-down');
    // The first ListLegs fails as it would with the instance unreachable: taking the leg for unanswered
    // would log a NO_ANSWER over a 2xx the wire had.
    h.sipEdge.failNext('listLegs', status.UNAVAILABLE, 'sip-edge unreachable');
    h.sipEdge.heldLegs = [{ callId, legId, sipCallId: `${legId}@x`, sipState: 'answered' }];
    const events = await waitFor(
      'the answer',
      async () => {
        const s = await h.stream(callId);
        return s.some((e) => e.type === 'LegAnswered') && s;
      },
      8000,
    );
    expect(typesOf(events)).not.toContain('LegEnded');
    const asked = h.sipEdge.received('listLegs').filter((r) => r.callId === callId);
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(h.sipEdge.received('hangupLeg').filter((r) => r.legId === legId)).toHaveLength(0);
    h.sipEdge.heldLegs = [];
  });
});
