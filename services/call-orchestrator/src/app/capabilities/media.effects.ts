// Media actions on a leg, through the media-worker, before the append. Each names the party where the
// leg's media is now (the call state's leg.media), never a convention of ids.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../domain/call.commands.js';
import type { Decision } from '../../domain/call.guards.js';
import type { CallState } from '../../domain/call.state.js';
import { isPeerError, PEER_ERROR_CODES } from '../errors.js';
import { partyOf, type CapabilityEffects, type EffectPorts } from './effects.js';

/** Plays each playback the decision starts (a playback, or a collection's prompt). */
export async function playStarted(
  ports: EffectPorts,
  callId: string,
  decision: Decision,
  state: CallState,
): Promise<void> {
  for (const e of decision.events)
    if (e.type === 'PlaybackStarted')
      await ports.media.play({
        callId,
        party: partyOf(state, e.data.legId),
        source: e.data.mediaUri,
        repeat: e.data.repeat,
        playbackId: e.data.playbackId,
      });
}

/**
 * Stops on the worker each playback the decision STOPPED (barge-in, a collection that ended); one the
 * worker no longer plays has ended already.
 */
export async function stopFinished(ports: EffectPorts, decision: Decision, state: CallState): Promise<void> {
  const stopped = decision.events.flatMap((e) =>
    e.type === 'PlaybackFinished' &&
    e.data.reason === callEvents.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED
      ? [e.data.legId]
      : [],
  );
  await Promise.all(
    stopped.map((legId) =>
      ports.media.stopPlay(partyOf(state, legId)).catch((error: unknown) => {
        if (!isPeerError(error, PEER_ERROR_CODES.notFound)) throw error;
      }),
    ),
  );
}

/** A prompt the worker would not play is recorded as FAILED: the collection moves on to the next. */
function promptNotPlayed(command: CallCommand, decision: Decision): CallCommand | undefined {
  const next = decision.events.find((e) => e.type === 'PlaybackStarted');
  return next?.type === 'PlaybackStarted'
    ? {
        type: 'RecordPlaybackFinished',
        data: { playbackId: next.data.playbackId, failed: true },
        metadata: command.metadata,
      }
    : undefined;
}

export const mediaEffects: CapabilityEffects = {
  name: 'media',
  effects: {
    PlayMedia: {
      before: (ports, callId, _command, decision, state) => playStarted(ports, callId, decision, state),
    },
    StopMedia: {
      before: async (ports, _callId, _command, decision, state) => {
        for (const e of decision.events)
          if (e.type === 'PlaybackFinished') await ports.media.stopPlay(partyOf(state, e.data.legId));
      },
    },
    // The next prompt of a collection is played once the end of the one before is recorded: the fact is
    // recorded whatever the worker says, and a prompt it refuses is recorded as failed (the next follows).
    RecordPlaybackFinished: {
      after: (ports, callId, _command, decision, state) => playStarted(ports, callId, decision, state),
      afterFailed: promptNotPlayed,
    },
    StartEcho: {
      before: (ports, _callId, command, _decision, state) =>
        ports.media.startEcho(partyOf(state, command.data.legId)),
    },
    StopEcho: {
      before: (ports, _callId, command, _decision, state) =>
        ports.media.stopEcho(partyOf(state, command.data.legId)),
    },
  },
};
