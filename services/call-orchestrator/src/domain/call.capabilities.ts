// The capabilities of the call aggregate, in the order their end-of-leg events come (what plays, then a
// collection, then a bridge, before LegEnded). A new capability is a folder under capabilities/ and a
// line here (and its command type in call.commands.ts); buildRegistry does not compile while a command
// or event type has no capability.
import { buildRegistry } from './capabilities/registry';
import { legsCapability } from './capabilities/legs/legs.capability';
import { mediaCapability } from './capabilities/media/media.capability';
import { digitsCapability } from './capabilities/digits/digits.capability';
import { bridgesCapability } from './capabilities/bridges/bridges.capability';
import { mediaLossCapability } from './capabilities/media-loss/media-loss.capability';
import { recordingsCapability } from './capabilities/recordings/recordings.capability';
import { siprecCapability } from './capabilities/siprec/siprec.capability';
import { monitorsCapability } from './capabilities/monitors/monitors.capability';
import { transfersCapability } from './capabilities/transfers/transfers.capability';
import { holdsCapability } from './capabilities/holds/holds.capability';
import { participantsCapability } from './capabilities/participants/participants.capability';
import { streamsCapability } from './capabilities/streams/streams.capability';

export const CALL_CAPABILITIES = [
  legsCapability,
  mediaCapability,
  digitsCapability,
  bridgesCapability,
  mediaLossCapability,
  recordingsCapability,
  siprecCapability,
  monitorsCapability,
  transfersCapability,
  holdsCapability,
  participantsCapability,
  streamsCapability,
] as const;

export const callRegistry = buildRegistry(CALL_CAPABILITIES);
