import { Client, type NgResponse } from 'rtpengine-client';
import type { Logger } from '@callctl/logging';

export interface NgClientOptions {
  host: string;
  port: number;
  /** Deadline of one command; rtpengine-client's default is to wait forever. */
  timeoutMs: number;
  log: Logger;
  /** Address the client's UDP socket binds to. @default '127.0.0.1' */
  localAddress?: string;
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
    });
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  async command(name: CommandName, params: Record<string, unknown> = {}): Promise<NgResponse> {
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
