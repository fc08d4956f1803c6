// multipart/mixed bodies (RFC 2046 §5.1), as SIPREC puts the SDP and the recording metadata in one INVITE
// (RFC 7866 §9.1). The writer picks a boundary that occurs in no part, so a part's text is never cut; the
// reader takes the boundary from the Content-Type and gives back each part's headers and body.
import { randomBytes } from 'node:crypto';
import { splitTopLevel, unquote } from './basic-rules.js';

export interface BodyPart {
  /** The part's own headers, in order ([name, value]); Content-Type first by convention. */
  headers: ReadonlyArray<readonly [string, string]>;
  body: string;
}

export interface MultipartBody {
  /** The Content-Type header value for the message: `multipart/mixed;boundary=…`. */
  contentType: string;
  boundary: string;
  body: string;
}

/** A multipart body that cannot be read: no boundary, no closing delimiter, a part without a header end. */
export class MultipartError extends Error {
  override readonly name = 'MultipartError';
  readonly code = 'MULTIPART_INVALID';
}

const MAX_BOUNDARY_ATTEMPTS = 8;
const SEMICOLON = 59;

/** RFC 2046 boundary: a token of bchars (here letters, digits and '-'), 1 to 70 characters. */
function newBoundary(): string {
  return `callctl-${randomBytes(12).toString('hex')}`;
}

/**
 * The parts joined into one multipart/mixed body with CRLF line ends. `boundary` (tests) is used when it
 * occurs in no part; otherwise a random one is chosen until it occurs in none.
 */
export function writeMultipart(parts: readonly BodyPart[], boundary?: string): MultipartBody {
  const occurs = (candidate: string) =>
    parts.some(
      (part) =>
        part.body.includes(candidate) ||
        part.headers.some(([n, v]) => n.includes(candidate) || v.includes(candidate)),
    );
  let chosen = boundary;
  for (let attempt = 0; chosen === undefined || occurs(chosen); attempt++) {
    if (attempt === MAX_BOUNDARY_ATTEMPTS)
      throw new MultipartError('no boundary found that occurs in no part');
    chosen = newBoundary();
  }
  const sections = parts.map(
    (part) => `--${chosen}\r\n${part.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${part.body}\r\n`,
  );
  return {
    boundary: chosen,
    contentType: `multipart/mixed;boundary=${chosen}`,
    body: `${sections.join('')}--${chosen}--\r\n`,
  };
}

/** The parameter `name` of a header value like `multipart/mixed; boundary="x"`, unquoted. */
export function headerParameter(value: string, name: string): string | undefined {
  for (const piece of splitTopLevel(value, false, SEMICOLON).slice(1)) {
    const at = piece.indexOf('=');
    if (at < 0) continue;
    if (piece.slice(0, at).trim().toLowerCase() !== name.toLowerCase()) continue;
    const raw = piece.slice(at + 1).trim();
    return raw.startsWith('"') ? unquote(raw) : raw;
  }
  return undefined;
}

/** The media type of a Content-Type value, lower-cased, without parameters. */
export function mediaTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * The parts of a multipart body whose Content-Type value is `contentType`. Lenient where senders differ:
 * LF-only line ends, a preamble, a missing CRLF after the closing delimiter, folded part headers.
 */
export function readMultipart(contentType: string, body: string): BodyPart[] {
  const boundary = headerParameter(contentType, 'boundary');
  if (!boundary) throw new MultipartError('multipart Content-Type without a boundary');
  const delimiter = `--${boundary}`;
  // Every delimiter is at a line start; the line end before it belongs to the delimiter (RFC 2046 §5.1.1).
  const text = `\r\n${body}`;
  const starts: Array<{ at: number; after: number }> = [];
  const pattern = new RegExp(`\\r?\\n${escapeRegExp(delimiter)}`, 'g');
  for (let m = pattern.exec(text); m; m = pattern.exec(text))
    starts.push({ at: m.index, after: m.index + m[0].length });
  const parts: BodyPart[] = [];
  for (let i = 0; i < starts.length; i++) {
    const { after } = starts[i]!;
    if (text.startsWith('--', after)) return parts;
    const next = starts[i + 1];
    if (!next) break;
    // The rest of the delimiter line (transport padding) is ignored.
    const lineEnd = text.indexOf('\n', after);
    if (lineEnd < 0 || lineEnd > next.at) throw new MultipartError('a delimiter line without an end');
    parts.push(readPart(text.slice(lineEnd + 1, next.at)));
  }
  throw new MultipartError('multipart body without its closing delimiter');
}

function readPart(section: string): BodyPart {
  // A part with no headers starts with its blank line at once.
  const bare = /^\r?\n/.exec(section);
  const end = bare ?? /\r?\n\r?\n/.exec(section);
  if (!end) throw new MultipartError('a part without the blank line that ends its headers');
  const headerText = bare ? '' : section.slice(0, end.index);
  const bodyStart = end.index + end[0].length;
  const headers: Array<readonly [string, string]> = [];
  for (const line of headerText.split(/\r?\n/)) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && headers.length > 0) {
      const [name, value] = headers.pop()!;
      headers.push([name, `${value} ${line.trim()}`]);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`a part header without a name: ${JSON.stringify(line)}`);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { headers, body: section.slice(bodyStart) };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The value of the part's header `name` (case-insensitive), or undefined. */
export function partHeader(part: BodyPart, name: string): string | undefined {
  return part.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}
