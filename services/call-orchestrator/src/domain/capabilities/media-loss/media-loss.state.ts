// Media loss's part of the call state: which legs lost which media session, so a repeated report of the
// same loss records nothing more.
import type { Evolver } from '../capability';

export type MediaLossState = {
  /** Leg id -> the media session it lost (LegMediaLost). */
  readonly mediaLost: Readonly<Record<string, string>>;
};

const legMediaLost: Evolver<'LegMediaLost'> = (s, { data: d }) => ({
  ...s,
  mediaLost: { ...s.mediaLost, [d.legId]: d.mediaSessionId },
});

export const mediaLossEvolve = { LegMediaLost: legMediaLost };
