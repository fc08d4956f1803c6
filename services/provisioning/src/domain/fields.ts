// The field checks every entity shares. Each failure is a ValidationError whose message starts with the
// field's path as the proto spells it (`trunk.gateways[1].host: ...`), so a client sees what to fix.
import { ValidationError } from '@callctl/errors';

export const invalid = (field: string, problem: string): ValidationError =>
  new ValidationError(`${field}: ${problem}`, { field });

/** Trunk and route names: lower-case letters, digits and `-`, 1-63 characters (a KV key token as is). */
export function checkName(field: string, name: string): string {
  if (!name) throw invalid(field, 'required');
  if (!/^[a-z0-9-]{1,63}$/.test(name))
    throw invalid(field, `expected 1-63 lower-case letters, digits or - (got ${JSON.stringify(name)})`);
  return name;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// Loose on purpose: hex groups and colons (an embedded IPv4 tail allowed); the engine resolves the rest.
const IPV6 = /^[0-9a-f]*:[0-9a-f:]*(:(\d{1,3}\.){3}\d{1,3})?$/;

/** A DNS name or an IP literal (IPv6 without brackets), lower-cased. */
export function checkHost(field: string, text: string): string {
  if (!text) throw invalid(field, 'required');
  const host = text.toLowerCase();
  const isName = host.length <= 253 && host.split('.').every((label) => LABEL.test(label));
  if (isName || IPV4.test(host) || (IPV6.test(host) && host.split(':').length >= 3)) return host;
  throw invalid(field, `expected a host name or IP address (got ${JSON.stringify(text)})`);
}

/** A number as a carrier's caller-id or tech prefix takes it: an optional + then digits. */
export function checkDigits(field: string, text: string, options: { plus: boolean }): string {
  const pattern = options.plus ? /^\+?\d{1,32}$/ : /^\d{1,32}$/;
  if (!pattern.test(text))
    throw invalid(
      field,
      `expected ${options.plus ? 'an optional + and ' : ''}1-32 digits (got ${JSON.stringify(text)})`,
    );
  return text;
}

/** A uint32 within bounds. */
export function checkRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalid(field, `expected ${min}-${max} (got ${value})`);
  return value;
}

/** Runs a check of another module (libs/sip, libs/provisioning) and names the field in its refusal. */
export function withField<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw invalid(field, error instanceof Error ? error.message : String(error));
  }
}
