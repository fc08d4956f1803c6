// The message model (STYLE D2): headers kept raw and in order, looked up case-insensitively with compact
// forms folded in, and parsed views built on first use and cached until a header changes.
import { splitTopLevel } from './basic-rules.js';
import { SipParseError } from './errors.js';
import { headerKey, isListHeader } from './header-names.js';
import { parseContact, parseNameAddr, type Contact, type NameAddr } from './name-addr.js';
import { parseVia, type Via } from './via.js';

export interface CSeq {
  seq: number;
  method: string;
}

export class SipMessage {
  headers: Array<[name: string, value: string]>;
  body: Buffer;
  private index: Map<string, number[]> | undefined;
  private views: Map<string, unknown> | undefined;

  constructor(headers: Array<[string, string]> = [], body: Buffer = Buffer.alloc(0)) {
    this.headers = headers;
    this.body = body;
  }

  private lookup(name: string): number[] | undefined {
    if (this.index === undefined) {
      const index = new Map<string, number[]>();
      for (let i = 0; i < this.headers.length; i++) {
        const key = headerKey(this.headers[i]![0]);
        const list = index.get(key);
        if (list) list.push(i);
        else index.set(key, [i]);
      }
      this.index = index;
    }
    return this.index.get(headerKey(name));
  }

  /** Drops the lookup index and parsed views; call it after editing `headers` directly. */
  invalidate(): void {
    this.index = undefined;
    this.views = undefined;
  }

  get(name: string): string | undefined {
    const at = this.lookup(name);
    return at === undefined ? undefined : this.headers[at[0]!]![1];
  }

  /** Every value of the header; list headers (Via, Contact, Route, ...) are split on top-level commas. */
  getAll(name: string): string[] {
    const at = this.lookup(name);
    if (at === undefined) return [];
    const split = isListHeader(headerKey(name));
    const out: string[] = [];
    for (const i of at) {
      const value = this.headers[i]![1];
      if (!split) out.push(value);
      else for (const element of splitTopLevel(value, false)) if (element.length > 0) out.push(element);
    }
    return out;
  }

  /** Number of header lines with this name (compact forms included), before any comma splitting. */
  count(name: string): number {
    return this.lookup(name)?.length ?? 0;
  }

  has(name: string): boolean {
    return this.lookup(name) !== undefined;
  }

  set(name: string, value: string): void {
    const at = this.lookup(name);
    if (at === undefined) {
      this.headers.push([name, value]);
    } else {
      this.headers[at[0]!] = [name, value];
      const drop = new Set(at.slice(1));
      if (drop.size > 0) this.headers = this.headers.filter((_h, i) => !drop.has(i));
    }
    this.invalidate();
  }

  append(name: string, value: string): void {
    this.headers.push([name, value]);
    this.invalidate();
  }

  /** Inserts before the first header of this name (or at the top when absent), as a proxy does with Via. */
  prepend(name: string, value: string): void {
    const at = this.lookup(name);
    this.headers.splice(at === undefined ? 0 : at[0]!, 0, [name, value]);
    this.invalidate();
  }

  remove(name: string): void {
    const at = this.lookup(name);
    if (at === undefined) return;
    const drop = new Set(at);
    this.headers = this.headers.filter((_h, i) => !drop.has(i));
    this.invalidate();
  }

  /**
   * Replaces the top Via (the first element of the first Via line) with `value`, e.g. after stamping
   * `received`/`rport` on a request off the wire (RFC 3261 18.2.1, RFC 3581).
   */
  setTopVia(value: string): void {
    const at = this.lookup('Via');
    if (at === undefined) throw new SipParseError('Missing Via header');
    const [name, line] = this.headers[at[0]!]!;
    const elements = splitTopLevel(line);
    elements[0] = value;
    this.headers[at[0]!] = [name, elements.join(', ')];
    this.invalidate();
  }

  /** Removes the top Via (a proxy forwarding a response upstream, RFC 3261 16.7 step 3). */
  removeTopVia(): void {
    const at = this.lookup('Via');
    if (at === undefined) return;
    const [name, line] = this.headers[at[0]!]!;
    const rest = splitTopLevel(line).slice(1);
    if (rest.length === 0) this.headers.splice(at[0]!, 1);
    else this.headers[at[0]!] = [name, rest.join(', ')];
    this.invalidate();
  }

  private view<T>(key: string, build: () => T): T {
    if (this.views === undefined) this.views = new Map();
    if (this.views.has(key)) return this.views.get(key) as T;
    const value = build();
    this.views.set(key, value);
    return value;
  }

  private required(name: string): string {
    const value = this.get(name);
    if (value === undefined) throw new SipParseError(`Missing ${name} header`);
    return value;
  }

  get callId(): string {
    return this.view('call-id', () => {
      const value = this.required('Call-ID');
      if (value.length === 0 || /\s/.test(value)) throw new SipParseError('Bad Call-ID');
      return value;
    });
  }

  get cseq(): CSeq {
    return this.view('cseq', () => parseCSeq(this.required('CSeq')));
  }

  get from(): NameAddr {
    return this.view('from', () => parseNameAddr(this.required('From')));
  }

  get to(): NameAddr {
    return this.view('to', () => parseNameAddr(this.required('To')));
  }

  /** All Via values, top first. An empty list element (`a,,b`) is a parse error. */
  get vias(): Via[] {
    return this.view('via', () => listElements(this, 'Via').map(parseVia));
  }

  /** The top Via only (what a transaction layer matches on); cheaper than `vias` on long Via stacks. */
  get topVia(): Via {
    return this.view('top-via', () => {
      const value = this.get('Via');
      if (value === undefined) throw new SipParseError('Missing Via header');
      const first = splitTopLevel(value)[0]!;
      if (first.length === 0) throw new SipParseError('Empty Via list element');
      return parseVia(first);
    });
  }

  get contacts(): Contact[] {
    return this.view('contact', () => listElements(this, 'Contact').map(parseContact));
  }

  get maxForwards(): number | undefined {
    return this.view('max-forwards', () => {
      const value = this.get('Max-Forwards');
      if (value === undefined) return undefined;
      if (!/^\d{1,10}$/.test(value) || Number(value) > 255) throw new SipParseError('Bad Max-Forwards');
      return Number(value);
    });
  }

  get contentLength(): number | undefined {
    return this.view('content-length', () => {
      const value = this.get('Content-Length');
      if (value === undefined) return undefined;
      return parseContentLength(value);
    });
  }
}

function listElements(message: SipMessage, name: string): string[] {
  const out: string[] = [];
  for (const [headerName, value] of message.headers) {
    if (headerKey(headerName) !== headerKey(name)) continue;
    for (const element of splitTopLevel(value)) {
      if (element.length === 0) throw new SipParseError(`Empty ${name} list element`);
      out.push(element);
    }
  }
  return out;
}

/** CSeq = 1*DIGIT LWS Method; the number must fit 2^31-1 (RFC 3261 8.1.1.5). */
export function parseCSeq(value: string): CSeq {
  let i = 0;
  while (i < value.length && value.charCodeAt(i) >= 48 && value.charCodeAt(i) <= 57) i++;
  if (i === 0 || i > 10) throw new SipParseError('Bad CSeq number');
  const seq = Number(value.slice(0, i));
  if (seq > 0x7fffffff) throw new SipParseError('CSeq number too large');
  const method = value.slice(i).trim();
  if (method.length === 0 || method.length === value.length - i) {
    // no method, or no whitespace between number and method
    throw new SipParseError('Bad CSeq');
  }
  if (/\s/.test(method)) throw new SipParseError('Bad CSeq method');
  return { seq, method };
}

export function parseContentLength(value: string): number {
  if (!/^\d{1,10}$/.test(value)) throw new SipParseError('Bad Content-Length');
  return Number(value);
}

export class SipRequest extends SipMessage {
  constructor(
    public method: string,
    public uri: string,
    headers: Array<[string, string]> = [],
    body: Buffer = Buffer.alloc(0),
    public version = 'SIP/2.0',
  ) {
    super(headers, body);
  }
}

export class SipResponse extends SipMessage {
  constructor(
    public status: number,
    public reason: string,
    headers: Array<[string, string]> = [],
    body: Buffer = Buffer.alloc(0),
    public version = 'SIP/2.0',
  ) {
    super(headers, body);
  }
}
