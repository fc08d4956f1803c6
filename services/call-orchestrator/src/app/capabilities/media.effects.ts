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

/** How often, and after which pauses, a stop after the append is tried: 3 attempts within about 1 s. */
export const STOP_RETRY_PAUSES_MS: readonly number[] = [250, 750];

/**
 * Stops on the worker each playback the decision STOPPED (barge-in, a collection that ended); one the
 * worker no longer plays has ended already. The stop follows a recorded fact, which nothing redelivers:
 * a stop that fails is tried again a few times (the caller would otherwise keep hearing a prompt the log
 * says stopped), then given up with a warning; the prompt ends on its own or with the next playback.
 */
export async function stopFinished(
  ports: EffectPorts,
  callId: string,
  decision: Decision,
  state: CallState,
  pausesMs: readonly number[] = STOP_RETRY_PAUSES_MS,
): Promise<void> {
  const stopped = decision.events.flatMap((e) =>
    e.type === 'PlaybackFinished' &&
    e.data.reason === callEvents.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED
      ? [e.data]
      : [],
  );
  await Promise.all(
    stopped.map(async ({ legId, playbackId }) => {
      const party = partyOf(state, legId);
      for (let attempt = 0; ; attempt++) {
        try {
          return await ports.media.stopPlay(party);
        } catch (error) {
          if (isPeerError(error, PEER_ERROR_CODES.notFound)) return;
          const pause = pausesMs[attempt];
          if (pause === undefined) {
            ports.log?.warn(
              { callId, legId, playbackId, attempts: attempt + 1, err: error },
              'could not stop a stopped playback on the media worker; giving up',
            );
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, pause));
        }
      }
    }),
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
