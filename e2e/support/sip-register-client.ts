// A small REGISTER client on libs/sip over UDP, for what sipp cannot do: digest with SHA-256 (sipp's
// [authentication] speaks MD5 only) and a byte-exact replay of credentials already used (same nonce, same
// nc). It answers a 401 with the challenge of the algorithm it is told to use.
import { createSocket, type Socket } from 'node:dgram';
import {
  answerChallenge,
  formatCredentials,
  newBranch,
  newCallId,
  newTag,
  parseChallenge,
  parseMessage,
  SipResponse,
  type DigestAlgorithm,
  type DigestChallenge,
} from '@callctl/sip';

const RESPONSE_TIMEOUT_MS = 5000;

export interface RegisterOptions {
  /** Contact header value(s); omitted: a query. */
  contact?: string;
  expires?: number;
  /** A ready Authorization header value (a replay). */
  authorization?: string;
}

export class SipRegisterClient {
  private readonly callId = newCallId('127.0.0.1');
  private readonly fromTag = newTag();
  private cseq = 0;

  private constructor(
    private readonly socket: Socket,
    readonly localPort: number,
    private readonly remote: { host: string; port: number },
    readonly user: string,
    readonly domain: string,
  ) {}

  static async open(remote: { host: string; port: number }, user: string, domain: string) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new SipRegisterClient(socket, socket.address().port, remote, user, domain);
  }

  /** The Contact URI of this client's own socket. */
  get contactUri(): string {
    return `sip:${this.user}@127.0.0.1:${this.localPort}`;
  }

  /** Sends one REGISTER (new CSeq) and resolves with its final response. */
  async send(options: RegisterOptions = {}): Promise<SipResponse> {
    this.cseq += 1;
    const lines = [
      `REGISTER sip:${this.domain} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.localPort};branch=${newBranch()};rport`,
      `From: <sip:${this.user}@${this.domain}>;tag=${this.fromTag}`,
      `To: <sip:${this.user}@${this.domain}>`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.cseq} REGISTER`,
      'Max-Forwards: 70',
      'User-Agent: registrar-e2e',
      ...(options.contact !== undefined ? [`Contact: ${options.contact}`] : []),
      ...(options.expires !== undefined ? [`Expires: ${options.expires}`] : []),
      ...(options.authorization ? [`Authorization: ${options.authorization}`] : []),
      'Content-Length: 0',
    ];
    const final = this.finalResponse(this.cseq);
    this.socket.send(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), this.remote.port, this.remote.host);
    return final;
  }

  /**
   * REGISTER, and once more with credentials answering the 401's challenge of `algorithm`. Resolves with
   * both final responses and the Authorization sent.
   */
  async register(
    algorithm: DigestAlgorithm,
    password: string,
    options: Omit<RegisterOptions, 'authorization'> = {},
  ): Promise<{ challenge: SipResponse; final: SipResponse; authorization: string }> {
    const challenge = await this.send(options);
    if (challenge.status !== 401)
      throw new Error(`expected 401, got ${challenge.status} ${challenge.reason}`);
    const offered = this.challengeOf(challenge, algorithm);
    const authorization = this.answer(offered, password, 1);
    const final = await this.send({ ...options, authorization });
    return { challenge, final, authorization };
  }

  /** The challenge for `algorithm` among a 401's WWW-Authenticate headers. */
  challengeOf(response: SipResponse, algorithm: DigestAlgorithm): DigestChallenge {
    const offered = response
      .getAll('WWW-Authenticate')
      .map((value) => parseChallenge(value))
      .find((c) => c?.algorithm === algorithm);
    if (!offered)
      throw new Error(`no ${algorithm} challenge in: ${response.getAll('WWW-Authenticate').join(' | ')}`);
    return offered;
  }

  answer(challenge: DigestChallenge, password: string, nonceCount: number): string {
    return formatCredentials(
      answerChallenge({
        challenge,
        username: this.user,
        password,
        method: 'REGISTER',
        uri: `sip:${this.domain}`,
        nonceCount,
        cnonce: newTag(),
      }),
    );
  }

  private finalResponse(cseq: number): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off('message', onMessage);
        reject(new Error(`no final response to REGISTER CSeq ${cseq} within ${RESPONSE_TIMEOUT_MS} ms`));
      }, RESPONSE_TIMEOUT_MS);
      const onMessage = (data: Buffer) => {
        const message = parseMessage(data);
        if (!(message instanceof SipResponse) || message.status < 200) return;
        if (!message.get('CSeq')?.startsWith(`${cseq} `)) return;
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        resolve(message);
      };
      this.socket.on('message', onMessage);
    });
  }

  close(): void {
    this.socket.close();
  }
}
