import { isSipFailure, type LateOffer, type SipDialog } from '../../app/sip-stack.js';

/**
 * drachtio-srf 5.0.29 serialises a dialog's re-INVITEs with a counter that a non-2xx final response never
 * decrements (Dialog#modify), so every later re-INVITE on that dialog (a retry, or one passed across a
 * bridge) would wait forever. Each dialog srf hands out gets a `modify` that gives the slot back after such
 * a failure, whenever it comes (also after the caller stopped waiting).
 */
export function releasingReInviteSlot<T extends SipDialog>(dialog: T): T {
  const modify = dialog.modify.bind(dialog) as (...args: unknown[]) => Promise<unknown>;
  const patched = (...args: unknown[]) =>
    modify(...args).catch((error: unknown) => {
      releaseReInviteSlot(dialog, error);
      throw error;
    });
  (dialog as unknown as { modify: typeof patched }).modify = patched;
  return dialog;
}

/** The late-offer result of createUAC: its dialog (made by the ACK) gets the same fix. */
export function releasingReInviteSlotOfLateOffer(offer: LateOffer): LateOffer {
  const ack = offer.ack.bind(offer);
  (offer as { ack: LateOffer['ack'] }).ack = async (localSdp) => releasingReInviteSlot(await ack(localSdp));
  return offer;
}

function releaseReInviteSlot(dialog: SipDialog, error: unknown): void {
  if (!isSipFailure(error)) return;
  const queue = (dialog as unknown as { _reinvitesInProgress?: { count: number; admitOne: (() => void)[] } })
    ._reinvitesInProgress;
  // Guarded, so a fixed srf (which releases the slot itself) is not released twice.
  if (!queue || queue.count <= 0) return;
  queue.count--;
  const next = queue.admitOne.shift();
  if (next) setImmediate(next);
}
