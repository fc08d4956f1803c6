// drachtio-server's `spammers` check (drachtio.conf.xml `<sip><spammers action tcp-action><header name>`):
// a request whose User-Agent, To user or From user matches a known scanner's is discarded silently or
// rejected at once, before any transaction. drachtio matches substrings; here each header takes one regex
// (case-insensitive), so Kamailio's default scanner alternation can be used as it is.
import { parseUri, type SipRequest } from '@callctl/sip';
import type { TransportProtocol } from '../transport/transport.js';

export const SPAMMER_ACTIONS = ['discard', 'reject'] as const;
export type SpammerAction = (typeof SPAMMER_ACTIONS)[number];

/** The user-agent regex of Kamailio's default kamailio.cfg (route REQINIT), dropped silently there. */
export const DEFAULT_SPAMMER_USER_AGENTS = 'friendly|scanner|sipcli|sipvicious|VaxSIPUserAgent|pplsip';

export interface SpammerOptions {
  /** Matched against the User-Agent header. Undefined: not checked. */
  userAgent?: RegExp;
  /** Matched against the user part of the To URI (drachtio's `To` header check). */
  to?: RegExp;
  /** Matched against the user part of the From URI. */
  from?: RegExp;
  /** What is done over UDP. @default 'discard' */
  action?: SpammerAction;
  /** What is done over TCP (and any stream transport). @default `action` */
  tcpAction?: SpammerAction;
}

/** Which header gave a request away. */
export interface SpammerMatch {
  header: 'User-Agent' | 'To' | 'From';
  value: string;
  action: SpammerAction;
}

/** Returns the first match of a request against the spammer patterns, or undefined for an ordinary request. */
export function matchSpammer(
  request: SipRequest,
  protocol: TransportProtocol,
  options: SpammerOptions,
): SpammerMatch | undefined {
  const action =
    protocol === 'udp' ? (options.action ?? 'discard') : (options.tcpAction ?? options.action ?? 'discard');
  if (options.userAgent) {
    const value = request.get('User-Agent');
    if (value !== undefined && options.userAgent.test(value)) return { header: 'User-Agent', value, action };
  }
  if (options.to) {
    const value = userOf(request.to.uri);
    if (value !== undefined && options.to.test(value)) return { header: 'To', value, action };
  }
  if (options.from) {
    const value = userOf(request.from.uri);
    if (value !== undefined && options.from.test(value)) return { header: 'From', value, action };
  }
  return undefined;
}

/** The user part of a SIP URI (`sip:user@host` → `user`), undefined when there is none or it is no SIP URI. */
function userOf(uri: string): string | undefined {
  try {
    return parseUri(uri).user;
  } catch {
    return undefined;
  }
}
