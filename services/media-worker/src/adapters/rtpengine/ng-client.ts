import { Client, type NgResponse } from 'rtpengine-client';
import type { Logger } from '@callctl/logging';
import { ATTR, clientSpan, inSpan } from '@callctl/telemetry';

export interface NgClientOptions {
  host: string;
  port: number;
  /** Deadline of one command; rtpengine-client's default is to wait forever. */
  timeoutMs: number;
  log: Logger;
  /** Address the client's UDP socket binds to. @default '127.0.0.1' */
  localAddress?: string;
  /** Port the client's UDP socket binds to (a firewall rule's). @default any free port */
  localPort?: number;
}

/** rtpengine answered `result: error` (bad call-id, missing file, ...); `reason` is its error-reason. */
export class RtpengineError extends Error {
  override readonly name = 'RtpengineError';
  readonly code = 'RTPENGINE_ERROR';
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`rtpengine ${command}: ${reason}`);
  }
}

/** rtpengine did not answer in time. */
export class RtpengineTimeoutError extends Error {
  override readonly name = 'RtpengineTimeoutError';
  readonly code = 'RTPENGINE_TIMEOUT';
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(`rtpengine ${command}: no answer within ${timeoutMs} ms`, options);
  }
}

type CommandName =
  | 'ping'
  | 'offer'
  | 'answer'
  | 'delete'
  | 'query'
  | 'list'
  | 'playMedia'
  | 'stopMedia'
  | 'blockMedia'
  | 'unblockMedia'
  | 'blockDTMF'
  | 'unblockDTMF'
  | 'playDTMF'
  | 'subscribeRequest'
  | 'subscribeAnswer'
  | 'unsubscribe';

const UNTRACED: ReadonlySet<CommandName> = new Set(['ping', 'list']);

/** The command as the ng protocol spells it: `playMedia` is `play media`, `blockDTMF` is `block DTMF`. */
function ngName(name: CommandName): string {
  return name
    .split(/(?<=[a-z])(?=[A-Z])/)
    .map((word) => (word === word.toUpperCase() ? word : word.toLowerCase()))
    .join(' ');
}

/**
 * The ng control channel over UDP (rtpengine-client). Every command has a deadline and an rtpengine
 * `result: error` becomes an RtpengineError; the library's own defaults would hang on a lost datagram and
 * resolve errors as if they were answers.
 */
export class NgClient {
  private readonly client: Client;

  constructor(private readonly options: NgClientOptions) {
    this.client = new Client({
      timeout: options.timeoutMs,
      rejectOnError: false,
      localAddress: options.localAddress ?? '127.0.0.1',
      ...(options.localPort ? { localPort: options.localPort } : {}),
    });
    // A datagram that is no ng reply (RTP some other socket aimed at a port this one reused, a probe) is
    // emitted as 'error' by the library; without a listener that would kill the worker. It is dropped: a
    // command whose reply it was not still gets its own reply or its deadline.
    this.client.on('error', (error: Error) =>
      options.log.warn({ err: error.message.slice(0, 120) }, 'ng: undecodable datagram dropped'),
    );
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /**
   * One command. Commands about a call are CLIENT spans (`rtpengine offer`, `rtpengine play media`, ...)
   * when spans are on; the engine's health probes (ping, list) are not, so that they do not make a trace
   * every few seconds.
   */
  command(name: CommandName, params: Record<string, unknown> = {}): Promise<NgResponse> {
    if (UNTRACED.has(name)) return this.send(name, params);
    return inSpan(
      () =>
        clientSpan(`rtpengine ${ngName(name)}`, {
          [ATTR.serverAddress]: this.options.host,
          [ATTR.serverPort]: this.options.port,
          ...(typeof params['call-id'] === 'string' ? { [ATTR.rtpengineCallId]: params['call-id'] } : {}),
        }),
      () => this.send(name, params),
    );
  }

  private async send(name: CommandName, params: Record<string, unknown>): Promise<NgResponse> {
    const destination = { host: this.options.host, port: this.options.port };
    let response: NgResponse;
    try {
      response = await this.client[name](destination, params);
    } catch (error) {
      throw new RtpengineTimeoutError(name, this.options.timeoutMs, { cause: error });
    }
    this.options.log.debug({ command: name, result: response.result }, 'ng reply');
    if (response.result === 'error')
      throw new RtpengineError(name, String(response['error-reason'] ?? 'unknown error'));
    return response;
  }

  close(): void {
    this.client.close();
  }
}
