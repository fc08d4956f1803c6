/** What an error response can be built from when a message could not be parsed completely. */
export interface SipParsePartial {
  method?: string;
  callId?: string;
  cseq?: string;
  vias?: string[];
  from?: string;
  to?: string;
}

/**
 * The only error the parser throws. `status` is the response a UAS should answer with (400, 413, 416,
 * 505, 513); for a response or a framing error the caller drops the message (or the connection) instead.
 */
export class SipParseError extends Error {
  readonly code = 'SIP_PARSE' as const;
  override readonly name = 'SipParseError';
  constructor(
    readonly reason: string,
    readonly status: number = 400,
    public partial?: SipParsePartial,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

export function isSipParseError(error: unknown): error is SipParseError {
  return error instanceof SipParseError;
}
