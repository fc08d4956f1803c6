// Recording on the wire, through the recording service's Recorder:
// - StartRecording and RecordLeg: the beep plays first (a plain playback decided with the recording, so
//   the media-worker's PlaybackFinished finds it), then the recorder starts, told to write only after the
//   beep (start_delay_ms). Both before the append: a refusal (UNAVAILABLE when the recording service is
//   down, FAILED_PRECONDITION when the media session is gone) records nothing.
// - Pause, Resume and StopRecording: the recorder's, before the append.
// - A recording stopped by what the recorder did not see (the call's or the leg's end, a segment's
//   terminator key) is a recorded fact: the recorder is told after the append, whatever command decided it
//   (an EventsEffect), tried a few times, then given up with a warning (the recorder also stops by itself
//   when its media goes, at worst at its max duration).
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../domain/call.commands.js';
import type { Decision } from '../../domain/call.guards.js';
import type { CallState } from '../../domain/call.state.js';
import { BEEP_MS } from '../../domain/capabilities/recordings/recordings.decide.js';
import { DEFAULT_DTMF_DURATION_MS } from '../../domain/capabilities/digits/dtmf.decide.js';
import { isPeerError, PEER_ERROR_CODES } from '../errors.js';
import { partyOf, type CapabilityEffects, type EffectPorts, type EventsEffect } from './effects.js';
import { playStarted, STOP_RETRY_PAUSES_MS } from './media.effects.js';

const { RecordingStopReason } = callEvents;

/** Cut from a segment's end beyond the terminator key's tone: the key's onset heard before it was detected. */
export const TERMINATOR_TRIM_MARGIN_MS = 100;

/** Plays the beeps the decision starts, then starts the recorder it records as started. */
async function startRecorder(
  ports: EffectPorts,
  callId: string,
  decision: Decision,
  state: CallState,
): Promise<void> {
  const started = decision.events.find((e) => e.type === 'RecordingStarted');
  if (started?.type !== 'RecordingStarted') return; // a replay: nothing new
  await playStarted(ports, callId, decision, state);
  const d = started.data;
  await ports.recorder.startRecorder({
    recordingId: d.recordingId,
    callId,
    kind: d.kind,
    parties: d.legIds.map((legId) => ({ legId, media: partyOf(state, legId) })),
    channels: d.channels,
    pauseMode: d.pauseMode,
    maxDurationMs: d.maxDurationMs,
    silenceTimeoutMs: d.silenceTimeoutMs,
    startDelayMs: d.beep ? BEEP_MS : 0,
  });
}

/** What to cut from the end of a recording the decision stopped: a terminator key's tone. */
function trimOf(command: CallCommand, reason: callEvents.RecordingStopReason): number {
  if (reason !== RecordingStopReason.RECORDING_STOP_REASON_TERMINATOR) return 0;
  const keyMs = command.type === 'RecordDtmf' ? command.data.durationMs : undefined;
  return (keyMs || DEFAULT_DTMF_DURATION_MS) + TERMINATOR_TRIM_MARGIN_MS;
}

/** Commands whose stops the recorder knows already: it was asked (StopRecording) or it said so itself. */
const TOLD_BY_ITSELF: ReadonlySet<CallCommand['type']> = new Set(['StopRecording', 'RecordRecorderStopped']);

/**
 * Tells the recorder of each recording the decision stopped without it. A recorder that no longer knows
 * the recording (NOT_FOUND) or has stopped (OK) is done.
 */
export const stopRecordersOf =
  (pausesMs: readonly number[] = STOP_RETRY_PAUSES_MS): EventsEffect =>
  async (ports, callId, command, decision) => {
    if (TOLD_BY_ITSELF.has(command.type)) return;
    const stopped = decision.events.flatMap((e) => (e.type === 'RecordingStopped' ? [e.data] : []));
    await Promise.all(
      stopped.map(async ({ recordingId, reason }) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await ports.recorder.stopRecorder(recordingId, reason, trimOf(command, reason));
          } catch (error) {
            if (isPeerError(error, PEER_ERROR_CODES.notFound)) return;
            const pause = pausesMs[attempt];
            if (pause === undefined) {
              ports.log?.warn(
                { callId, recordingId, attempts: attempt + 1, err: error },
                'could not tell the recorder that its recording stopped; giving up',
              );
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, pause));
          }
        }
      }),
    );
  };

export const recordingsEffects: CapabilityEffects = {
  name: 'recordings',
  effects: {
    StartRecording: {
      before: (ports, callId, _command, decision, state) => startRecorder(ports, callId, decision, state),
    },
    RecordLeg: {
      before: (ports, callId, _command, decision, state) => startRecorder(ports, callId, decision, state),
    },
    PauseRecording: {
      before: (ports, _callId, command) => ports.recorder.pauseRecorder(command.data.recordingId),
    },
    ResumeRecording: {
      before: (ports, _callId, command) => ports.recorder.resumeRecorder(command.data.recordingId),
    },
    StopRecording: {
      // Runs only when decide stopped a running recording; a recorder that lost it has stopped.
      before: (ports, _callId, command) =>
        ports.recorder
          .stopRecorder(command.data.recordingId, RecordingStopReason.RECORDING_STOP_REASON_REQUESTED, 0)
          .catch((error: unknown) => {
            if (!isPeerError(error, PEER_ERROR_CODES.notFound)) throw error;
          }),
    },
  },
  afterEvents: stopRecordersOf(),
};
