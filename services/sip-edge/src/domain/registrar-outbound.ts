// RFC 5626 §6 at the registrar: a device asking for outbound (the `outbound` option tag in Supported and a
// Contact with `reg-id` and `+sip.instance`) keeps its connection as the flow it is reached over, so the
// 200 says the registrar does so (`Require: outbound`) and how often the device should send its CRLF
// keep-alives (`Flow-Timer`). A device that does not ask gets neither (it would not understand them).
import { parseContact, splitTopLevel } from '@callctl/sip';

/**
 * Seconds between a device's keep-alives. RFC 5626 §4.4.1 has it send at 80-100 % of this: 40-50 s stays
 * under the 60 s idle cut of common load balancers in front of WebSocket servers, and the engine keeps a
 * registered device's connection open regardless of its own idle timeout.
 */
export const OUTBOUND_FLOW_TIMER_S = 50;

export interface OutboundRequestView {
  /** The Supported header(s), comma-joined; undefined when absent. */
  supported: string | undefined;
  /** The Contact header(s), comma-joined; undefined when absent. */
  contact: string | undefined;
}

/** `Require: outbound` and `Flow-Timer` for a 2xx to a REGISTER that asked for outbound; else nothing. */
export function outboundHeaders(
  request: OutboundRequestView,
  flowTimerS = OUTBOUND_FLOW_TIMER_S,
): Record<string, string> {
  if (!asksForOutbound(request)) return {};
  return { Require: 'outbound', 'Flow-Timer': String(flowTimerS) };
}

function asksForOutbound(request: OutboundRequestView): boolean {
  const tags = (request.supported ?? '').split(',').map((tag) => tag.trim().toLowerCase());
  if (!tags.includes('outbound') || request.contact === undefined) return false;
  let values: string[];
  try {
    values = splitTopLevel(request.contact);
  } catch {
    return false;
  }
  return values.some((value) => {
    try {
      const { params } = parseContact(value);
      return params.has('reg-id') && params.has('+sip.instance');
    } catch {
      return false;
    }
  });
}
