import { parseUri } from '@callctl/sip';
import { ValidationError, type LegErrorContext } from './errors.js';

/** A Request-URI sip-edge may dial: sip: or sips: with a host. Returns it trimmed. */
export function checkDialUri(uri: string, field: string, context: LegErrorContext): string {
  const text = uri.trim();
  let parsed: ReturnType<typeof parseUri>;
  try {
    parsed = parseUri(text);
  } catch (error) {
    throw new ValidationError(`${field} is not a SIP URI: ${JSON.stringify(uri)}`, context, { cause: error });
  }
  if ((parsed.scheme !== 'sip' && parsed.scheme !== 'sips') || !parsed.host)
    throw new ValidationError(
      `${field} must be a sip: or sips: URI with a host, got ${JSON.stringify(uri)}`,
      context,
    );
  return text;
}

/** A final status an app may send to refuse or end an unanswered inbound leg. */
export function checkFinalStatus(status: number, context: LegErrorContext): number {
  if (!Number.isInteger(status) || status < 400 || status > 699)
    throw new ValidationError(`sip_status must be a final status 400-699, got ${status}`, context);
  return status;
}
