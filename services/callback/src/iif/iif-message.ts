// The IIF's text grammar (seed 004): `METHOD: name=value;name=value[;]`, one message per datagram. Pure:
// parsing keeps what was written (method case, duplicate and unknown names, segments without `=`) so that
// iif-request.ts can answer a malformed REQUEST that carries an id with `code=fail` instead of dropping it.

export interface IifParam {
  name: string;
  /** undefined for a segment without `=`. */
  value?: string;
}

export interface IifMessage {
  /** As written: the method check is case-sensitive and belongs to the reader of the message. */
  method: string;
  params: IifParam[];
}

export type IifParseResult = { ok: true; message: IifMessage } | { ok: false; reason: string };

export type AckCode = 'ok' | 'fail';

const METHOD = /^[A-Za-z]+$/;
// A fatal decoder: binary garbage is refused rather than read as replacement characters.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseIifMessage(datagram: Uint8Array | string): IifParseResult {
  let text: string;
  try {
    text = typeof datagram === 'string' ? datagram : utf8.decode(datagram);
  } catch {
    return { ok: false, reason: 'not UTF-8' };
  }
  // Only the line end goes: `nc` and some application servers end the datagram with CR/LF.
  text = text.replace(/[\r\n]+$/, '');
  if (text === '') return { ok: false, reason: 'empty' };
  const colon = text.indexOf(':');
  if (colon < 0) return { ok: false, reason: 'no method' };
  const method = text.slice(0, colon);
  if (!METHOD.test(method)) return { ok: false, reason: 'no method' };
  const body = text.slice(colon + 1).replace(/^[ \t]+/, '');
  if (body === '') return { ok: true, message: { method, params: [] } };
  const segments = body.split(';');
  // One trailing `;` is allowed (the seed's own example ends with one).
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  const params = segments.map((segment): IifParam => {
    const equals = segment.indexOf('=');
    return equals < 0
      ? { name: segment }
      : { name: segment.slice(0, equals), value: segment.slice(equals + 1) };
  });
  return { ok: true, message: { method, params } };
}

/** The value of the first parameter called `name` (undefined when absent or without `=`). */
export function paramOf(message: IifMessage, name: string): string | undefined {
  return message.params.find((p) => p.name === name)?.value;
}

/**
 * Writes a message; `trailingSemicolon` follows the seed's examples (RESPONSE has one, ACK has none). Values
 * must not contain `;` (the grammar has no escape); the callers only write ids that were read from a message.
 */
export function formatIifMessage(message: IifMessage, trailingSemicolon = false): string {
  const params = message.params.map((p) => (p.value === undefined ? p.name : `${p.name}=${p.value}`));
  return `${message.method}: ${params.join(';')}${trailingSemicolon && params.length > 0 ? ';' : ''}`;
}

/** Exactly `ACK: id=1234;code=ok` (or `code=fail`). */
export function formatAck(id: string, code: AckCode): string {
  return formatIifMessage({
    method: 'ACK',
    params: [
      { name: 'id', value: id },
      { name: 'code', value: code },
    ],
  });
}

/** Exactly `RESPONSE: id=1234;real_duration=180;`. */
export function formatResponse(id: string, realDurationS: number): string {
  return formatIifMessage(
    {
      method: 'RESPONSE',
      params: [
        { name: 'id', value: id },
        { name: 'real_duration', value: String(realDurationS) },
      ],
    },
    true,
  );
}

/**
 * The id a peer's `ACK: id=..;code=ok` acknowledges (a RESPONSE of ours), or undefined when the message is
 * not exactly that: any other ACK (code=fail, extra or missing names) acknowledges nothing.
 */
export function acknowledgedResponseId(message: IifMessage): string | undefined {
  if (message.method !== 'ACK' || message.params.length !== 2) return undefined;
  const id = paramOf(message, 'id');
  return id && paramOf(message, 'code') === 'ok' ? id : undefined;
}
