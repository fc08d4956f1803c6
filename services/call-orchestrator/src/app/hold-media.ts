// The media of a held leg, shared by HoldLeg/ResumeLeg and by a consultation (the transfers capability
// holds the transferee while the transferor talks to the target). Nothing of it is in the log but the
// LegHeld/LegResumed events, decided before these run (decide validates, then this acts, then the append):
// a failure here records nothing.
//
// Hold: the phone is re-INVITEd a=sendonly (a=inactive when it hears nothing), then, when the leg is
// bridged, what each side sends is blocked so neither hears the other, and the music plays to the held
// leg (and to its peer with `toPeer`) on a loop. The blocks come first and are needed for the music too:
// in a bridged session rtpengine 10.5 sends a party what its peer sends rather than what is played to it
// (e2e/test/hold.e2e.test.ts hears no music without them). Resume undoes it in the other order: the music stops,
// both sides are unblocked, and the phone is re-INVITEd a=sendrecv. Every step is idempotent (sip-edge
// sends no re-INVITE for the direction the leg has, a block or stop of what is so already is OK), so a
// retry after a crash or a lost reply repeats it safely.
import type { Logger } from '@callctl/logging';
import type { Active } from '../domain/call.guards.js';
import type { Leg } from '../domain/call.state.js';
import { holdMusicPlaybackId } from '../domain/capabilities/holds/holds.state.js';
import { isPeerError, PEER_ERROR_CODES } from './errors.js';
import type { LegDirectionChoice, MediaParty, MediaPort, SipEdgePort } from './ports.js';

export interface HoldMediaPorts {
  readonly sipEdge: Pick<SipEdgePort, 'setLegDirection'>;
  readonly media: Pick<MediaPort, 'play' | 'stopPlay' | 'blockMedia' | 'unblockMedia'>;
  readonly log?: Logger;
}

/** What the held party hears: a resolved media URI (as PlaybackStarted.media_uri), none for silence. */
export interface HoldMusic {
  readonly mediaUri?: string;
  /** The bridge peer hears the music too (otherwise silence). */
  readonly toPeer: boolean;
}

/**
 * How many times the music plays in a row: longer than any hold (a 1-second track loops for 11 days).
 * The media-worker's timer of the playback (one pass x repeat) is re-armed past what one Node timer holds.
 */
export const HOLD_MUSIC_REPEAT = 1_000_000;

/** The party the leg is bridged with now (a bridge that ended leaves the leg alone). */
export function bridgePeer(call: Active, legId: string): Leg | undefined {
  const leg = call.legs[legId];
  const bridgeId = leg?.status === 'answered' ? leg.bridgeId : undefined;
  const bridge = bridgeId ? call.bridges[bridgeId] : undefined;
  if (!bridge || bridge.status !== 'active') return undefined;
  const peer = call.legs[bridge.legAId === legId ? bridge.legBId : bridge.legAId];
  return peer?.status === 'answered' ? peer : undefined;
}

function mediaOf(call: Active, legId: string): MediaParty {
  const leg = call.legs[legId];
  if (!leg) throw new Error(`no leg ${legId} in call ${call.callId} to hold`);
  return leg.media;
}

/**
 * Puts the leg's phone and media on hold. `call`: the call as it is when the hold is carried out (its
 * bridges say whether the leg has a peer to cut off). A refused re-INVITE rejects (FAILED_PRECONDITION
 * naming the status) with nothing else done; a media step that fails afterwards takes the phone off hold
 * again (best effort) and rejects, so a failed hold leaves the call as it was.
 */
export async function holdMedia(
  ports: HoldMediaPorts,
  call: Active,
  legId: string,
  music: HoldMusic,
): Promise<void> {
  const held = mediaOf(call, legId);
  const peer = bridgePeer(call, legId);
  const direction: LegDirectionChoice = music.mediaUri ? 'sendonly' : 'inactive';
  await ports.sipEdge.setLegDirection(call.callId, legId, direction);
  try {
    if (peer) {
      await ports.media.blockMedia(held);
      await ports.media.blockMedia(peer.media);
    }
    if (music.mediaUri) {
      const play = (party: MediaParty, forLegId: string) =>
        ports.media.play({
          callId: call.callId,
          party,
          source: music.mediaUri ?? '',
          repeat: HOLD_MUSIC_REPEAT,
          playbackId: holdMusicPlaybackId(legId, forLegId),
        });
      await play(held, legId);
      if (peer && music.toPeer) await play(peer.media, peer.legId);
    }
  } catch (error) {
    await undoHold(ports, call, legId, peer, music).catch((undoError: unknown) =>
      ports.log?.warn(
        { callId: call.callId, legId, err: undoError },
        'a hold that failed half-way could not be undone',
      ),
    );
    throw error;
  }
}

/**
 * Takes the leg off hold: the music stops (to the leg, and to its peer when `musicToPeer`), what each side
 * sends flows again, and the phone is re-INVITEd a=sendrecv. Resolves once the phone accepted.
 */
export async function resumeMedia(
  ports: HoldMediaPorts,
  call: Active,
  legId: string,
  options: { readonly musicToPeer?: boolean } = {},
): Promise<void> {
  const musicToPeer = options.musicToPeer ?? call.legs[legId]?.hold?.musicToPeer ?? false;
  // Whatever plays to the held leg is stopped, music or not: a silent hold's leg has nothing playing.
  await undoHold(ports, call, legId, bridgePeer(call, legId), { toPeer: musicToPeer, mediaUri: 'any' });
}

async function undoHold(
  ports: HoldMediaPorts,
  call: Active,
  legId: string,
  peer: Leg | undefined,
  music: HoldMusic,
): Promise<void> {
  const held = mediaOf(call, legId);
  // Nothing plays (a silent hold, a track that ended, a worker restarted): nothing to stop.
  const stop = (party: MediaParty) =>
    ports.media.stopPlay(party).catch((error: unknown) => {
      if (!isPeerError(error, PEER_ERROR_CODES.notFound)) throw error;
    });
  if (music.mediaUri) {
    await stop(held);
    if (peer && music.toPeer) await stop(peer.media);
  }
  if (peer) {
    await ports.media.unblockMedia(held);
    await ports.media.unblockMedia(peer.media);
  }
  await ports.sipEdge.setLegDirection(call.callId, legId, 'sendrecv');
}
