import type { Logger } from '@callctl/logging';
import type { Peer, TransportProtocol } from '../transport/transport.js';

/**
 * One debug line per SIP message in or out, with transport and addresses: what one compares with a
 * production trace of the real server. Costs nothing above debug level (the text is not even decoded).
 */
export function traceSip(
  log: Logger,
  direction: 'recv' | 'send',
  protocol: TransportProtocol,
  remote: Peer,
  data: Buffer,
): void {
  if (!log.isLevelEnabled('debug')) return;
  log.debug(
    { direction, protocol, remote: `${remote.address}:${remote.port}`, sip: data.toString('utf8') },
    'sip',
  );
}
