// The RFC 4475 torture messages as test vectors: where their bytes are (testdata/rfc4475, decoded from the
// RFC's own archive, see the README there) and the project's table of what a server must do with each,
// taken from the RFC's text about that message. A separate entry point (`@callctl/sip/rfc4475`) so that the
// engine's tests use the same vectors without reaching into this package's folders.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What a server receiving the message over UDP must answer, as `|`-separated alternatives:
 * - `NNN` exactly this final status, `Nxx` a final status of this class;
 * - `not-400` some final status that is not 400 (the message is legal: a 400 means the parser refused it);
 *   `not-400,483` none of the listed statuses;
 * - `any-response` some final status (the RFC allows both rejecting and a liberal reading);
 * - `discard` nothing at all comes back (responses that match no transaction, and malformed ones).
 * Whatever happens, the server must still be alive and answering afterwards.
 */
export type Rfc4475Expectation = string;

export interface Rfc4475Message {
  /** File name under {@link rfc4475Dir}. */
  file: string;
  /** RFC 4475 section that presents the message. */
  section: string;
  title: string;
  kind: 'request' | 'response';
  /** True when the RFC presents the message as legal input that a parser must accept. */
  valid: boolean;
  /** What any element, proxy or endpoint, must do. */
  expect: Rfc4475Expectation;
  /** What an endpoint (UAS) must do, where the RFC asks more of it than of a proxy. */
  expectUas?: Rfc4475Expectation;
  /** A header the final response with `status` must carry, naming at least one of `anyOf`. */
  responseHeader?: { status: number; name: string; anyOf: string[] };
  /** A Call-ID that no response may carry (dblreq: the octets after the message are noise). */
  neverAnsweredCallId?: string;
  /** Why, in the RFC's terms. */
  why: string;
}

/** The folder holding the 49 `.dat` files, byte-exact. */
export function rfc4475Dir(): string {
  // This module runs from src/ (tests) or dist/src/ (compiled); the package root is the nearest
  // folder above it with a package.json.
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`@callctl/sip: package root not found above ${__dirname}`);
    dir = parent;
  }
  return join(dir, 'testdata', 'rfc4475');
}

/** The bytes of one torture message, exactly as the RFC's archive holds them. */
export function rfc4475Bytes(file: string): Buffer {
  return readFileSync(join(rfc4475Dir(), file));
}

const request = (m: Omit<Rfc4475Message, 'kind'>): Rfc4475Message => ({ kind: 'request', ...m });
const response = (m: Omit<Rfc4475Message, 'kind'>): Rfc4475Message => ({ kind: 'response', ...m });

export const RFC4475_MESSAGES: readonly Rfc4475Message[] = [
  // 3.1.1 parser tests, valid messages: a parser must accept every one of them.
  request({
    file: 'wsinv.dat',
    section: '3.1.1.1',
    title: 'A Short Tortuous INVITE',
    valid: true,
    expect: 'not-400',
    why: 'Folding, LWS around separators, escaped quotes, an empty Subject, compact and long names, unknown headers and parameters, leading zeros: "all elements should treat this as a well-formed request".',
  }),
  request({
    file: 'intmeth.dat',
    section: '3.1.1.2',
    title: 'Wide Range of Valid Characters',
    valid: true,
    expect: 'not-400',
    expectUas: '501',
    why: 'Every token character in method, branch, tag and Call-ID (% is no escape there). A proxy forwards or answers 404; an endpoint answers 501 with an Allow header.',
  }),
  request({
    file: 'esc01.dat',
    section: '3.1.1.3',
    title: 'Valid Use of the % Escaping Mechanism',
    valid: true,
    expect: 'not-400',
    why: '%HH escapes in SIP URIs: "a parser must accept this as a well-formed message"; unescaping is never recursive.',
  }),
  request({
    file: 'escnull.dat',
    section: '3.1.1.4',
    title: 'Escaped Nulls in URIs',
    valid: true,
    expect: 'not-400',
    why: '%00 in user parts: "well formed - parsers must accept this message"; the AOR must not be cut at the NUL.',
  }),
  request({
    file: 'esc02.dat',
    section: '3.1.1.5',
    title: 'Use of % When It Is Not an Escape',
    valid: true,
    expect: 'not-400',
    expectUas: '501',
    why: 'RE%47IST%45R is an unknown method, not REGISTER, and C%6Fntact an unknown header. Parsers accept it; "an endpoint would reject this message with a 501".',
  }),
  request({
    file: 'lwsdisp.dat',
    section: '3.1.1.6',
    title: 'Message with No LWS between Display Name and <',
    valid: true,
    expect: 'not-400',
    why: 'Outside the RFC 3261 grammar by a known specification bug: "elements should accept this request as well formed".',
  }),
  request({
    file: 'longreq.dat',
    section: '3.1.1.7',
    title: 'Long Values in Header Fields',
    valid: true,
    expect: 'not-400',
    why: 'A well-formed request with very long values and 34 Via header fields in every spelling of the name.',
  }),
  request({
    file: 'dblreq.dat',
    section: '3.1.1.8',
    title: 'Extra Trailing Octets in a UDP Datagram',
    valid: true,
    expect: 'not-400',
    neverAnsweredCallId: 'dblreq.0ha0isnda977644900765@192.0.2.15',
    why: 'After the REGISTER (Content-Length 0) come octets that look like an INVITE; per RFC 3261 18.3 they are noise: the REGISTER is handled normally, the INVITE never.',
  }),
  request({
    file: 'semiuri.dat',
    section: '3.1.1.9',
    title: 'Semicolon-Separated Parameters in URI User Part',
    valid: true,
    expect: 'not-400',
    why: 'The Request-URI user part is "user;par=u@example.net"; "receiving elements will accept this as a well-formed message".',
  }),
  request({
    file: 'transports.dat',
    section: '3.1.1.10',
    title: 'Varied and Unknown Transport Types',
    valid: true,
    expect: 'not-400',
    why: 'Vias with UDP, SCTP, TLS, an unknown transport and TCP: "parsers must accept this message as well formed".',
  }),
  request({
    file: 'mpart01.dat',
    section: '3.1.1.11',
    title: 'Multipart MIME Message',
    valid: true,
    expect: 'not-400',
    why: 'A binary body part with NUL octets, framed by Content-Length: parsers must accept it even if the application does not support the body.',
  }),
  response({
    file: 'unreason.dat',
    section: '3.1.1.12',
    title: 'Unusual Reason Phrase',
    valid: true,
    expect: 'discard',
    why: 'A well-formed 200 whose reason phrase holds unreserved and UTF-8 characters. It matches no transaction of the receiver, so it is dropped (RFC 3261 18.1.2); a response is never answered.',
  }),
  response({
    file: 'noreason.dat',
    section: '3.1.1.13',
    title: 'Empty Reason Phrase',
    valid: true,
    expect: 'discard',
    why: 'A well-formed 100 with an empty reason phrase (the SP is there). Matches no transaction: dropped.',
  }),

  // 3.1.2 parser tests, invalid messages.
  request({
    file: 'badinv01.dat',
    section: '3.1.2.1',
    title: 'Extraneous Header Field Separators',
    valid: false,
    expect: '400',
    why: 'Empty parameters and values in Via (;;,;,,) and Contact (;;;;): "should respond with a 400 Bad Request".',
  }),
  request({
    file: 'clerr.dat',
    section: '3.1.2.2',
    title: 'Content Length Larger Than Message',
    valid: false,
    expect: '400',
    why: 'Content-Length 9999 over UDP: "the receiving element should respond with a 400 Bad Request".',
  }),
  request({
    file: 'ncl.dat',
    section: '3.1.2.3',
    title: 'Negative Content-Length',
    valid: false,
    expect: '4xx|5xx',
    why: 'Content-Length -999: "should respond with an error"; the rest of the datagram is discarded, and the value must never be used as a count.',
  }),
  request({
    file: 'scalar02.dat',
    section: '3.1.2.4',
    title: 'Request Scalar Fields with Overlarge Values',
    valid: false,
    expect: '400',
    why: 'CSeq above 2**32-1 (and Max-Forwards, Expires out of range): "should respond with a 400 Bad Request due to the CSeq error".',
  }),
  response({
    file: 'scalarlg.dat',
    section: '3.1.2.5',
    title: 'Response Scalar Fields with Overlarge Values',
    valid: false,
    expect: 'discard',
    why: 'A 503 with an overlarge CSeq, Retry-After and warn-code: "an element receiving this response will simply discard it".',
  }),
  request({
    file: 'quotbal.dat',
    section: '3.1.2.6',
    title: 'Unterminated Quoted String in Display Name',
    valid: false,
    expect: 'any-response',
    why: 'Should get 400, but "an element could attempt to infer a terminating quote and accept the message".',
  }),
  request({
    file: 'ltgtruri.dat',
    section: '3.1.2.7',
    title: '<> Enclosing Request-URI',
    valid: false,
    expect: 'any-response',
    why: 'Reasonable to reject with 400; liberal elements may ignore the brackets (and must not forward them).',
  }),
  request({
    file: 'lwsruri.dat',
    section: '3.1.2.8',
    title: 'Malformed SIP Request-URI (embedded LWS)',
    valid: false,
    expect: 'any-response',
    why: 'Should get 400; an element could ignore the embedded LWS where that is not ambiguous.',
  }),
  request({
    file: 'lwsstart.dat',
    section: '3.1.2.9',
    title: 'Multiple SP Separating Request-Line Elements',
    valid: false,
    expect: 'any-response',
    why: 'Acceptable to reject as malformed; a liberal element may ignore the extra SP (and must not forward it).',
  }),
  request({
    file: 'trws.dat',
    section: '3.1.2.10',
    title: 'SP Characters at End of Request-Line',
    valid: false,
    expect: 'any-response',
    why: 'Acceptable to reject as malformed; a liberal element may ignore the trailing SP.',
  }),
  request({
    file: 'escruri.dat',
    section: '3.1.2.11',
    title: 'Escaped Headers in SIP Request-URI',
    valid: false,
    expect: 'any-response',
    why: 'Acceptable to reject with 400; a liberal element may ignore the escaped headers (a proxy must drop them).',
  }),
  request({
    file: 'baddate.dat',
    section: '3.1.2.12',
    title: 'Invalid Time Zone in Date Header Field',
    valid: false,
    expect: 'any-response',
    why: 'A Date in EST (only GMT is legal). Rejecting is acceptable only if the Date matters; an element may ignore it.',
  }),
  request({
    file: 'regbadct.dat',
    section: '3.1.2.13',
    title: 'Failure to Enclose name-addr URI in <>',
    valid: false,
    expect: 'any-response',
    why: 'A Contact URI with an escaped header but no <>: 400 is reasonable, a liberal element could infer the brackets.',
  }),
  request({
    file: 'badaspec.dat',
    section: '3.1.2.14',
    title: 'Spaces within addr-spec',
    valid: false,
    expect: 'any-response',
    why: '"Parsers receiving this request must not break"; 400 is reasonable, liberal elements may ignore the spaces.',
  }),
  request({
    file: 'baddn.dat',
    section: '3.1.2.15',
    title: 'Non-token Characters in Display Name',
    valid: false,
    expect: 'any-response',
    why: 'Unquoted display names with non-token characters: 400 is reasonable, an element may infer the quotes.',
  }),
  request({
    file: 'badvers.dat',
    section: '3.1.2.16',
    title: 'Unknown Protocol Version',
    valid: false,
    expect: '505',
    why: 'SIP/7.0: "the element should respond to the request with a 505 Version Not Supported error".',
  }),
  request({
    file: 'mismatch01.dat',
    section: '3.1.2.17',
    title: 'Start Line and CSeq Method Mismatch',
    valid: false,
    expect: '400',
    why: 'OPTIONS with CSeq method INVITE: "any element receiving this request will respond with a 400 Bad Request".',
  }),
  request({
    file: 'mismatch02.dat',
    section: '3.1.2.18',
    title: 'Unknown Method with CSeq Method Mismatch',
    valid: false,
    expect: '501|400',
    why: 'An unknown method with a mismatching CSeq method: 501 is better, 400 is acceptable.',
  }),
  response({
    file: 'bigcode.dat',
    section: '3.1.2.19',
    title: 'Overlarge Response Code',
    valid: false,
    expect: 'discard',
    why: 'Status 4294967301: "an element receiving this response should simply drop it".',
  }),

  // 3.2 transaction layer.
  request({
    file: 'badbranch.dat',
    section: '3.2.1',
    title: 'Missing Transaction Identifier',
    valid: true,
    expect: 'any-response',
    why: 'A branch of just "z9hG4bK": a parser must not break; the element may answer 400 or fall back to RFC 2543 matching.',
  }),

  // 3.3 application layer.
  request({
    file: 'insuf.dat',
    section: '3.3.1',
    title: 'Missing Required Header Fields',
    valid: false,
    expect: 'discard|400',
    why: 'No Call-ID, From or To: the element "must not break"; ideally it answers 400.',
  }),
  request({
    file: 'unkscm.dat',
    section: '3.3.2',
    title: 'Request-URI with Unknown Scheme',
    valid: true,
    expect: '416',
    why: 'A well-formed request that "an element receiving this request will reject with a 416 Unsupported URI Scheme".',
  }),
  request({
    file: 'novelsc.dat',
    section: '3.3.3',
    title: 'Request-URI with Known but Atypical Scheme',
    valid: true,
    expect: '416|404',
    why: 'soap.beep: 416 if the scheme is never meaningful to the element, 404 if it accepts some such URIs.',
  }),
  request({
    file: 'unksm2.dat',
    section: '3.3.4',
    title: 'Unknown URI Schemes in Header Fields',
    valid: true,
    expect: 'any-response',
    why: 'Syntactically valid: a proxy treats it as any request; a registrar answers 400 (the AOR must be a SIP URI).',
  }),
  request({
    file: 'bext01.dat',
    section: '3.3.5',
    title: 'Proxy-Require and Require',
    valid: true,
    expect: '420',
    responseHeader: {
      status: 420,
      name: 'Unsupported',
      anyOf: [
        'nothingSupportsThis',
        'nothingSupportsThisEither',
        'noProxiesSupportThis',
        'norDoAnyProxiesSupportThis',
      ],
    },
    why: '"Any element receiving this request will respond with a 420 Bad Extension", with Unsupported listing the Require (endpoint) or Proxy-Require (proxy) tags.',
  }),
  request({
    file: 'invut.dat',
    section: '3.3.6',
    title: 'Unknown Content-Type',
    valid: true,
    expect: 'not-400',
    expectUas: '415',
    why: 'A body of unknown type: a proxy processes it like any INVITE, an endpoint answers 415 Unsupported Media Type.',
  }),
  request({
    file: 'regaut01.dat',
    section: '3.3.7',
    title: 'Unknown Authorization Scheme',
    valid: true,
    expect: 'not-400',
    why: 'Well formed: a registrar ignores the header or challenges with 401, an endpoint that is no registrar answers 405.',
  }),
  request({
    file: 'multi01.dat',
    section: '3.3.8',
    title: 'Multiple Values in Single Value Required Fields',
    valid: false,
    expect: '400',
    why: 'Two Call-ID, To, From, Max-Forwards and CSeq values: "would respond with a 400 Bad Request".',
  }),
  request({
    file: 'mcl01.dat',
    section: '3.3.9',
    title: 'Multiple Content-Length Values',
    valid: false,
    expect: '4xx|5xx',
    why: 'Conflicting Content-Length values are a framing error: "should respond with an error" (over TCP, close the connection).',
  }),
  response({
    file: 'bcast.dat',
    section: '3.3.10',
    title: '200 OK Response with Broadcast Via Header Field Value',
    valid: true,
    expect: 'discard',
    why: 'The second Via is 255.255.255.255: parsers must not fail; an endpoint discards it, and a proxy should drop it rather than forward to broadcast.',
  }),
  request({
    file: 'zeromf.dat',
    section: '3.3.11',
    title: 'Max-Forwards of Zero',
    valid: true,
    expect: 'not-400',
    expectUas: 'not-400,483',
    why: 'A legal request: a proxy answers 483 Too Many Hops, an endpoint processes it as if Max-Forwards were positive.',
  }),
  request({
    file: 'cparam01.dat',
    section: '3.3.12',
    title: 'REGISTER with a Contact Header Parameter',
    valid: true,
    expect: 'not-400',
    why: 'Without <>, ";unknownparam" is a contact parameter, not a URI parameter; "this REGISTER should succeed".',
  }),
  request({
    file: 'cparam02.dat',
    section: '3.3.13',
    title: 'REGISTER with a url-parameter',
    valid: true,
    expect: 'not-400',
    why: 'Inside <>, ";unknownparam" belongs to the URI; "the register should succeed".',
  }),
  request({
    file: 'regescrt.dat',
    section: '3.3.14',
    title: 'REGISTER with a URL Escaped Header',
    valid: true,
    expect: 'not-400',
    why: 'The Contact URI carries an escaped Route header; "the register should succeed".',
  }),
  request({
    file: 'sdp01.dat',
    section: '3.3.15',
    title: 'Unacceptable Accept Offering',
    valid: true,
    expect: 'any-response',
    expectUas: '406|400',
    why: 'Accept excludes application/sdp: the recipient could answer 406 (with Warning 399) or 400; a proxy just forwards it.',
  }),

  // 3.4 backward compatibility.
  request({
    file: 'inv2543.dat',
    section: '3.4.1',
    title: 'INVITE with RFC 2543 Syntax',
    valid: true,
    expect: 'any-response',
    why: 'No branch, no From tag, no Content-Length (the body is the rest of the datagram), no Max-Forwards: legal RFC 2543, accepted by elements that keep backward compatibility.',
  }),
];
