// Prompt-and-collect: a collection's prompts play one after another, each a playback carrying the
// collect_id; the first-digit timer starts when the last one ended. The progress is read from the
// playbacks themselves (how many of the collection's prompts started, whether one plays, whether one was
// stopped), so a state rebuilt from the log after a restart continues where the prompts were.
// A prompt that FAILED moves on to the next; one that was STOPPED (barge-in, StopMedia, a playback or a
// bridge replacing it) ends the prompts: the collection waits for digits from then on.
// Every prompt has a timeout: no digit timer runs while one plays, so a prompt recorded as playing that the
// worker never plays (the orchestrator died between recording it and asking the worker) or whose end never
// comes back would hold the collection forever. Its deadline (promptTimeout) records it FAILED, which moves
// on exactly as a prompt the worker refused; it is rebuilt from the log after a restart (deadlines-of.ts).
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { Active, Deadline, Decision } from '../../call.guards';
import type { Playback } from '../media/media.state';
import { finishPlaybacksOn, playbackStarted } from '../media/playback-events';
import type { Collect } from './digits.state';

const { PlaybackEndReason } = callEvents;
type Collecting = Extract<Collect, { status: 'collecting' }>;

/** The playback id of a collection's i-th prompt: derived, so a decision made again gives the same. */
export const promptPlaybackId = (collectId: string, index: number) => `${collectId}-prompt-${index}`;

const promptsOf = (s: Active, collectId: string): Playback[] =>
  Object.values(s.playbacks).filter((p) => p.collectId === collectId);

/** The collection's prompt playing now. */
export const playingPrompt = (s: Active, collectId: string): Playback | undefined =>
  promptsOf(s, collectId).find((p) => p.status === 'playing');

/** Whether the collection still plays prompts (one plays now, or more are to come): no timer runs then. */
export function inPrompts(s: Active, col: Collecting): boolean {
  const started = promptsOf(s, col.collectId);
  if (started.some((p) => p.status === 'playing')) return true;
  if (started.some((p) => p.reason === PlaybackEndReason.PLAYBACK_END_REASON_STOPPED)) return false;
  return started.length < col.prompts.length;
}

/** Slack past a prompt's known length: fetching, starting and the worker's report of its end. */
export const PROMPT_MARGIN_MS = 5_000;
/**
 * How long a prompt of unknown length (a URL, a file of the media directory) may play: generous, since a
 * long announcement is legitimate, but finite, so a lost prompt still ends within 10 minutes.
 */
export const UNKNOWN_PROMPT_BOUND_MS = 600_000;

/** The deadline of a prompt started at `startedAtMs`: its length × repeat + margin, or the bound when unknown. */
export function promptTimeout(
  p: Pick<Playback, 'playbackId' | 'collectId' | 'durationMs' | 'repeat'>,
  startedAtMs: number,
): Deadline {
  const length =
    p.durationMs > 0 ? p.durationMs * Math.max(1, p.repeat) + PROMPT_MARGIN_MS : UNKNOWN_PROMPT_BOUND_MS;
  return {
    kind: 'promptTimeout',
    collectId: p.collectId,
    playbackId: p.playbackId,
    atMs: startedAtMs + length,
  };
}

/** The prompt's PlaybackStarted, and its timeout. */
export function startPrompt(
  s: Active,
  col: Pick<Collecting, 'collectId' | 'legId' | 'prompts'>,
  index: number,
  now: number,
): { event: CallEvent; deadline: Deadline } {
  const p = col.prompts[index]!;
  const event = playbackStarted(s, {
    legId: col.legId,
    playbackId: promptPlaybackId(col.collectId, index),
    mediaUri: p.mediaUri,
    repeat: 1,
    idempotencyKey: '',
    collectId: col.collectId,
    media: { source: p.source, durationMs: p.durationMs, ttsFallbackFrom: p.ttsFallbackFrom },
  });
  const playbackId = promptPlaybackId(col.collectId, index);
  const deadline = promptTimeout(
    { playbackId, collectId: col.collectId, durationMs: p.durationMs, repeat: 1 },
    now,
  );
  return { event, deadline };
}

/** The timer a collection waiting for digits runs: first-digit before any, inter-digit after. */
export function digitTimer(col: Collecting, now: number): Deadline {
  const wait = col.digits.length === 0 ? col.firstDigitTimeoutMs : col.interDigitTimeoutMs;
  return {
    kind: 'collectTimeout',
    collectId: col.collectId,
    expectedDigits: col.digits.length,
    atMs: now + wait,
  };
}

/**
 * What follows a prompt that ended (`s` already holds its PlaybackFinished): the next prompt, or, after the
 * last one (or a stopped one), the collection's timer.
 */
export function afterPrompt(s: Active, collectId: string, now: number): Decision {
  const col = s.collects[collectId];
  if (col?.status !== 'collecting') return { events: [] };
  if (inPrompts(s, col)) {
    if (playingPrompt(s, collectId)) return { events: [] };
    const next = startPrompt(s, col, promptsOf(s, collectId).length, now);
    return { events: [next.event], deadlines: [next.deadline] };
  }
  return { events: [], deadlines: [digitTimer(col, now)] };
}

/**
 * Stops what plays on these legs (a new playback or a bridge replaces it); a collection whose prompt that
 * was then waits for digits, with its timer.
 */
export function stopPlaybacksOn(
  s: Active,
  legIds: readonly string[],
  now: number,
  evolve: (s: Active, e: CallEvent) => Active,
): { events: CallEvent[]; deadlines: Deadline[] } {
  const events = finishPlaybacksOn(s, legIds, PlaybackEndReason.PLAYBACK_END_REASON_STOPPED);
  const after = events.reduce(evolve, s);
  const deadlines = events.flatMap((e) =>
    e.type === 'PlaybackFinished' && e.data.collectId
      ? (afterPrompt(after, e.data.collectId, now).deadlines ?? [])
      : [],
  );
  return { events, deadlines };
}
