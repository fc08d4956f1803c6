// A carrier gateway that authenticates INVITEs with a SHA-256 digest challenge (RFC 8760), which sipp
// cannot do: a UDP UAS on libs/sip. A new INVITE without credentials gets 401 (qop=auth); one whose
// Authorization checks against the account's HA1 gets 200 with an SDP answer (or, with `staleOnce`, the
// first such one a 401 with stale=true, as a gateway whose nonce expired meanwhile), a wrong one a fresh 401
// as Kamailio's www_challenge gives. ACKs are taken, a BYE gets 200. It records what it received.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  buildResponse,
  formatChallenge,
  ha1,
  parseCredentials,
  parseMessage,
  serializeMessage,
  SipRequest,
  verifyResponse,
  type DigestAlgorithm,
  type DigestCredentials,
  type SipResponse,
} from '@callctl/sip';

export interface DigestGateway {
  port: number;
  /** Every INVITE received (retransmissions included), with its Authorization if any. */
  invites: Array<{
    uri: string;
    from: string;
    callId: string;
    cseq: string;
    authorization?: DigestCredentials;
  }>;
  /** Statuses sent to INVITEs, in order. */
  answered: number[];
  byes: number;
  close(): Promise<void>;
}

export async function startDigestGateway(account: {
  realm: string;
  username: string;
  password: string;
  algorithm: DigestAlgorithm;
  staleOnce?: boolean;
}): Promise<DigestGateway> {
  let staleSent = false;
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const expectedHa1 = ha1(account.algorithm, account.username, account.realm, account.password);
  const gateway: DigestGateway = {
    port: socket.address().port,
    invites: [],
    answered: [],
    byes: 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  const send = (response: SipResponse, to: RemoteInfo) =>
    socket.send(serializeMessage(response), to.port, to.address);
  socket.on('message', (data, from) => {
    let message: ReturnType<typeof parseMessage>;
    try {
      message = parseMessage(data);
    } catch {
      return; // keep-alives and junk
    }
    if (!(message instanceof SipRequest)) return;
    if (message.method === 'BYE') {
      gateway.byes += 1;
      return send(buildResponse(message, 200), from);
    }
    if (message.method !== 'INVITE') return; // ACK
    const header = message.get('Authorization');
    const authorization = header ? parseCredentials(header) : undefined;
    gateway.invites.push({
      uri: message.uri,
      from: message.get('From') ?? '',
      callId: message.callId,
      cseq: message.get('CSeq') ?? '',
      ...(authorization ? { authorization } : {}),
    });
    const valid =
      authorization !== undefined &&
      authorization.realm === account.realm &&
      verifyResponse(authorization, 'INVITE', expectedHa1);
    const stale = valid && account.staleOnce === true && !staleSent;
    if (stale) staleSent = true;
    const status = valid && !stale ? 200 : 401;
    gateway.answered.push(status);
    if (status === 401)
      return send(
        buildResponse(message, 401, undefined, {
          headers: [
            [
              'WWW-Authenticate',
              formatChallenge({
                realm: account.realm,
                nonce: `n${Date.now().toString(36)}`,
                algorithm: account.algorithm,
                qop: ['auth'],
                ...(stale ? { stale: true } : {}),
              }),
            ],
          ],
        }),
        from,
      );
    const sdp = [
      'v=0',
      'o=gateway 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 9 RTP/AVP 0',
      'a=rtpmap:0 PCMU/8000',
      'a=sendrecv',
      '',
    ].join('\r\n');
    send(
      buildResponse(message, 200, undefined, {
        headers: [['Contact', `<sip:gateway@127.0.0.1:${gateway.port}>`]],
        body: Buffer.from(sdp),
        contentType: 'application/sdp',
      }),
      from,
    );
  });
  return gateway;
}
