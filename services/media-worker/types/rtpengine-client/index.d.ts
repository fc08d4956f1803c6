// rtpengine-client ships no types and has no @types package. Only what the media-worker calls is
// declared; keep it in step with lib/ of the pinned version (0.4.12).
declare module 'rtpengine-client' {
  import type { EventEmitter } from 'node:events';

  export interface NgResponse {
    result: string;
    'error-reason'?: string;
    sdp?: string;
    [key: string]: unknown;
  }

  export interface ClientOptions {
    port?: number;
    host?: string;
    /** Milliseconds before a command rejects; 0 (the library default) waits forever. */
    timeout?: number;
    /** Reject (instead of resolve) when rtpengine answers result:"error". */
    rejectOnError?: boolean;
    /** Local address of the UDP socket; the library binds all interfaces without it. */
    localAddress?: string;
    localPort?: number;
  }

  export interface Destination {
    port: number;
    host: string;
  }

  type Command = (destination: Destination, options?: Record<string, unknown>) => Promise<NgResponse>;

  export class Client extends EventEmitter {
    constructor(options?: ClientOptions);
    ping: Command;
    offer: Command;
    answer: Command;
    delete: Command;
    query: Command;
    list: Command;
    statistics: Command;
    playMedia: Command;
    stopMedia: Command;
    blockMedia: Command;
    unblockMedia: Command;
    silenceMedia: Command;
    unsilenceMedia: Command;
    blockDTMF: Command;
    unblockDTMF: Command;
    playDTMF: Command;
    subscribeRequest: Command;
    subscribeAnswer: Command;
    unsubscribe: Command;
    startRecording: Command;
    stopRecording: Command;
    close(): void;
  }
}
