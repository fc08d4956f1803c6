// One-line test builders of hold: the requests, the phone's fact, and the events they record.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta } from '../../testing/builder-base';

const { INITIATOR_API, INITIATOR_REMOTE } = callEvents.Initiator;
export const Initiator = callEvents.Initiator;
export const MUSIC = 'tone:440:1000';

export const holdLeg = (
  legId: string,
  h: { music?: string; toPeer?: boolean; key?: string } = {},
): CallCommand => ({
  type: 'HoldLeg',
  data: { legId, musicUri: h.music ?? MUSIC, musicToPeer: h.toPeer ?? false },
  metadata: meta('new-1', h.key ?? 'k-hold'),
});
export const resumeLeg = (legId: string): CallCommand => ({
  type: 'ResumeLeg',
  data: { legId },
  metadata: meta(),
});
export const recordLegHoldChanged = (legId: string, held: boolean, direction: string): CallCommand => ({
  type: 'RecordLegHoldChanged',
  data: { legId, held, direction },
  metadata: meta(),
});

export const legHeld = (
  legId: string,
  h: { music?: string; toPeer?: boolean; key?: string; transferId?: string } = {},
): CallEvent => ({
  type: 'LegHeld',
  data: {
    ...base,
    legId,
    by: INITIATOR_API,
    musicUri: h.music ?? MUSIC,
    musicToPeer: h.toPeer ?? false,
    direction: '',
    idempotencyKey: h.key ?? 'k-hold',
    transferId: h.transferId ?? '',
  },
});
export const legHeldByPhone = (legId: string, direction = 'sendonly'): CallEvent => ({
  type: 'LegHeld',
  data: {
    ...base,
    legId,
    by: INITIATOR_REMOTE,
    musicUri: '',
    musicToPeer: false,
    direction,
    idempotencyKey: '',
    transferId: '',
  },
});
export const legResumed = (legId: string, by = INITIATOR_API, transferId = ''): CallEvent => ({
  type: 'LegResumed',
  data: { ...base, legId, by, transferId },
});
