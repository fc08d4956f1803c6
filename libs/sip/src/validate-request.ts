// Semantic checks a UAS or proxy applies to a parsed request before acting on it (RFC 3261 8.2, 16.3).
// Order matters: the first failing check decides the response.
import { splitTopLevel } from './basic-rules.js';
import { SipParseError } from './errors.js';
import { type SipRequest } from './message.js';
import { REASON_PHRASES } from './reason-phrases.js';
import { parseUri, uriScheme } from './uri.js';

export interface ValidateOptions {
  /**
   * 'proxy' checks Proxy-Require and answers Max-Forwards: 0 with 483; 'uas' checks Require and lets
   * Max-Forwards: 0 through (an endpoint processes it, RFC 4475 3.3.11). @default 'proxy'
   */
  role?: 'proxy' | 'uas';
  /** Option tags this element supports (Require / Proxy-Require). @default [] */
  supportedExtensions?: readonly string[];
  /** Request-URI schemes accepted; others get 416. @default ['sip', 'sips', 'tel'] */
  supportedSchemes?: readonly string[];
}

export interface ValidationFailure {
  status: number;
  reason: string;
  /** Headers the error response must carry (Unsupported for 420). */
  headers?: Array<[string, string]>;
}

const SINGLE = ['To', 'From', 'Call-ID', 'CSeq', 'Max-Forwards', 'Content-Length'];
const MANDATORY = ['To', 'From', 'Call-ID', 'CSeq', 'Via'];
const DEFAULT_SCHEMES = ['sip', 'sips', 'tel'];

function bad(reason: string, status = 400): ValidationFailure {
  return { status, reason };
}

export function validateRequest(
  request: SipRequest,
  options: ValidateOptions = {},
): ValidationFailure | undefined {
  try {
    return check(request, options);
  } catch (error) {
    if (error instanceof SipParseError) return bad(error.reason, error.status);
    throw error;
  }
}

function check(request: SipRequest, options: ValidateOptions): ValidationFailure | undefined {
  const role = options.role ?? 'proxy';
  if (request.version.toUpperCase() !== 'SIP/2.0') return bad(REASON_PHRASES[505]!, 505);
  for (const name of MANDATORY) if (!request.has(name)) return bad(`Missing ${name} header`);
  for (const name of SINGLE) if (request.count(name) > 1) return bad(`Multiple ${name} headers`);

  const cseq = request.cseq;
  if (cseq.method !== request.method) return bad('CSeq method does not match Request-Line');
  void request.callId;
  void request.from;
  void request.to;
  void request.vias;
  if (request.has('Contact')) void request.contacts;

  const contentLength = request.contentLength;
  if (contentLength !== undefined && contentLength !== request.body.length) {
    return bad('Content-Length does not match body');
  }

  const scheme = uriScheme(request.uri);
  if (scheme === undefined) return bad('Malformed Request-URI');
  if (!(options.supportedSchemes ?? DEFAULT_SCHEMES).includes(scheme)) return bad(REASON_PHRASES[416]!, 416);
  if (scheme === 'sip' || scheme === 'sips' || scheme === 'tel') {
    const uri = parseUri(request.uri);
    // RFC 3261 19.1.5: a Request-URI never carries headers (RFC 4475 3.1.2.11).
    if (uri.headers.size > 0) return bad('Request-URI must not contain headers');
  }

  const maxForwards = request.maxForwards;
  if (role === 'proxy' && maxForwards === 0) return bad(REASON_PHRASES[483]!, 483);

  const supported = new Set((options.supportedExtensions ?? []).map((t) => t.toLowerCase()));
  const requireHeader = role === 'proxy' ? 'Proxy-Require' : 'Require';
  // CANCEL and ACK never fail on Require (RFC 3261 8.2.2.3).
  if (request.method !== 'CANCEL' && request.method !== 'ACK') {
    const unknown: string[] = [];
    for (const value of request.getAll(requireHeader)) {
      for (const tag of splitTopLevel(value)) if (tag && !supported.has(tag.toLowerCase())) unknown.push(tag);
    }
    if (unknown.length > 0) {
      return { status: 420, reason: REASON_PHRASES[420]!, headers: [['Unsupported', unknown.join(', ')]] };
    }
  }
  return undefined;
}
