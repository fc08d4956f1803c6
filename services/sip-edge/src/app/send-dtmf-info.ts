// SendDtmfInfo: DTMF to a far end by SIP INFO (application/dtmf-relay), for legs that did not negotiate
// telephone-event. One INFO per digit, each sent once the previous one has its final response, so the far
// end gets the digits in order and a refusal stops the rest.
import { checkInfoDigits, DTMF_RELAY_TYPE, dtmfRelayBody } from '../domain/dtmf-info.js';
import { IllegalStateError, UnavailableError } from '../domain/errors.js';
import { requestInDialog } from './in-dialog-request.js';
import type { LegContext } from './leg-context.js';
import { dialogOf, hasEnded, idsOf, type Leg } from './leg-registry.js';
import type { SipDialog, SipResponseMessage } from './sip-stack.js';

/**
 * How long a far end may take to answer one INFO. Far shorter than the engine's Timer F (32 s): a phone that
 * has not answered an INFO in 2 s (four UDP retransmissions) is gone or ignoring us, and the orchestrator's
 * call must end within its own deadline.
 */
export const INFO_TIMEOUT_MS = 2_000;

/** Sends the digits on an answered leg; resolves once every INFO was answered with a 2xx. */
export async function sendDtmfInfo(
  ctx: LegContext,
  callId: string,
  legId: string,
  digits: string,
  durationMs: number,
): Promise<void> {
  const checked = checkInfoDigits(digits, durationMs, { callId, legId });
  const leg = ctx.registry.live(callId, legId);
  if (!dialogOf(leg))
    throw new IllegalStateError(
      `cannot send DTMF on leg ${legId}: it is ${leg.status.state}, not answered`,
      idsOf(leg),
    );
  // A second SendDtmfInfo on the leg waits for the first: its INFOs must not interleave with ours.
  const previous = leg.sendingDtmf ?? Promise.resolve();
  const sending = previous.then(() => sendEach(leg, checked.digits, checked.durationMs));
  leg.sendingDtmf = sending.catch(() => undefined);
  await sending;
}

async function sendEach(leg: Leg, digits: readonly string[], durationMs: number): Promise<void> {
  // Counts only: digits can be a PIN or a card number.
  leg.log.info({ digits: digits.length, durationMs }, 'sending DTMF by SIP INFO');
  for (const [index, digit] of digits.entries()) {
    const which = `digit ${JSON.stringify(digit)} (${index + 1} of ${digits.length})`;
    const dialog = dialogOf(leg);
    if (!dialog)
      throw new IllegalStateError(`leg ${leg.legId} ended before DTMF ${which} was sent`, idsOf(leg));
    const response = await sendInfo(leg, dialog, dtmfRelayBody(digit, durationMs), which).catch(
      (error: unknown) => {
        // A BYE that crossed the INFO: the engine no longer has the dialog. The leg's state is the reason.
        if (hasEnded(leg))
          throw new IllegalStateError(`leg ${leg.legId} ended while DTMF ${which} was sent`, idsOf(leg), {
            cause: error,
          });
        throw error;
      },
    );
    if (response.status >= 300)
      throw new IllegalStateError(
        `leg ${leg.legId} refused the SIP INFO of DTMF ${which}: ${response.status} ${response.reason}`.trimEnd(),
        idsOf(leg),
      );
  }
  leg.log.info({ digits: digits.length }, 'DTMF sent by SIP INFO');
}

/** One INFO; resolves with its final response, rejects with UnavailableError when none comes in time. */
async function sendInfo(
  leg: Leg,
  dialog: SipDialog,
  body: string,
  which: string,
): Promise<SipResponseMessage> {
  let response: SipResponseMessage | undefined;
  try {
    response = await requestInDialog(
      dialog,
      { method: 'INFO', headers: { 'Content-Type': DTMF_RELAY_TYPE }, body },
      INFO_TIMEOUT_MS,
    );
  } catch (error) {
    throw new UnavailableError(
      `SIP INFO of DTMF ${which} on leg ${leg.legId} not sent: ${error instanceof Error ? error.message : String(error)}`,
      idsOf(leg),
      { cause: error },
    );
  }
  if (!response)
    throw new UnavailableError(
      `leg ${leg.legId} did not answer the SIP INFO of DTMF ${which} within ${INFO_TIMEOUT_MS} ms`,
      idsOf(leg),
    );
  return response;
}
