// A carrier gateway that authenticates INVITEs with a SHA-256 digest challenge (RFC 8760), which sipp
// cannot do: a UDP UAS on libs/sip. A new INVITE without credentials gets 401 (qop=auth); one whose
// Authorization checks against the account's HA1 gets 200 with an SDP answer, a wrong one 403. ACKs are
// taken, a BYE gets 200. It records what it received so a test can assert on it.
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
  invites: Array<{ callId: string; cseq: string; authorization?: DigestCredentials }>;
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
}): Promise<DigestGateway> {
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
      callId: message.callId,
      cseq: message.get('CSeq') ?? '',
      ...(authorization ? { authorization } : {}),
    });
    const status = !authorization
      ? 401
      : verifyResponse(authorization, 'INVITE', expectedHa1) && authorization.realm === account.realm
        ? 200
        : 403;
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
              }),
            ],
          ],
        }),
        from,
      );
    if (status === 403) return send(buildResponse(message, 403), from);
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
