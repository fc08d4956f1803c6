// A prompt recorded as playing that the media-worker never played (the orchestrator died between recording
// it and asking the worker) does not hold its collection forever: the deadlines rebuilt from the log on
// start give it a timeout, which records it FAILED and moves the collection on to the first-digit timer.
import { randomUUID } from 'node:crypto';
import { callStreamId } from '@callctl/eventstore';
import { waitFor } from '@callctl/testing';
import { startHarness, type Harness } from './support/orchestrator-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

it('times out a prompt recorded as playing but never played, after a restart, and collects on', async () => {
  const { callId, legId } = await h.answeredInboundCall();
  const { store, deadlines, calls } = h.orchestrator;
  const version = (await h.stream(callId)).length;
  const collectId = 'D-crash';
  // What the log holds when the process died right after recording the collection and its first prompt:
  // the worker was never asked to play it, so no end of it will ever be reported.
  await store.append(
    callStreamId(callId),
    version,
    [
      {
        eventId: randomUUID(),
        type: 'DigitCollectionStarted',
        data: {
          callId,
          legId,
          collectId,
          maxDigits: 4,
          terminators: '#',
          firstDigitTimeoutMs: 300,
          interDigitTimeoutMs: 300,
          clientState: '',
          idempotencyKey: 'crash-1',
          prompts: [{ mediaUri: 'file:menu.wav', source: 'file', durationMs: 200, ttsFallbackFrom: '' }],
          bargeIn: false,
        },
      },
      {
        eventId: randomUUID(),
        type: 'PlaybackStarted',
        data: {
          callId,
          legId,
          clientState: '',
          playbackId: `${collectId}-prompt-0`,
          mediaUri: 'file:menu.wav',
          repeat: 1,
          idempotencyKey: '',
          source: 'file',
          ttsFallbackFrom: '',
          collectId,
          durationMs: 200,
        },
      },
    ],
    {},
  );
  // As on start: the deadlines are rebuilt from the log. The prompt's: its start + 200 ms + 5 s margin.
  calls.forget(callId);
  await deadlines.rearm([callId], (id) => calls.load(id));
  expect(deadlines.armedFor(callId)).toContain(`${callId}|prompt|${collectId}-prompt-0`);
  const collected = await waitFor(
    'the collection to end',
    async () => (await h.stream(callId)).find((e) => e.type === 'DigitsCollected'),
    15_000,
  );
  const types = (await h.stream(callId)).map((e) => e.type);
  expect(types.slice(version)).toEqual([
    'DigitCollectionStarted',
    'PlaybackStarted',
    'PlaybackFinished',
    'DigitsCollected',
  ]);
  const finished = (await h.stream(callId)).find((e) => e.type === 'PlaybackFinished');
  expect(finished!.data).toEqual(
    expect.objectContaining({ reason: 'PLAYBACK_END_REASON_FAILED', collectId }),
  );
  expect(collected.data).toEqual(
    expect.objectContaining({ collectId, reason: 'COLLECT_END_REASON_FIRST_DIGIT_TIMEOUT' }),
  );
});
