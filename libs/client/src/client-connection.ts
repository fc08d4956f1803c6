// How a client of the public API reaches the server: plain or TLS (with a client certificate when given),
// and the bearer token sent with every call. The token goes as call metadata rather than call credentials,
// because grpc-js attaches call credentials to TLS channels only, and a token over a plain loopback port
// (a local stack with API_AUTH=token) must work as well.
import { credentials as grpcCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { ClientOptions } from './client-options.js';

export interface ClientConnection {
  credentials: ChannelCredentials;
  /** The client's own metadata, with the token's `authorization` header when there is one. */
  metadata: Readonly<Record<string, string>>;
}

export function connectionOf(options: ClientOptions): ClientConnection {
  const tls = options.tls === true ? {} : options.tls || undefined;
  if (tls && !tls.cert !== !tls.key) throw new TypeError('tls.cert and tls.key go together');
  const credentials =
    options.credentials ??
    (tls
      ? grpcCredentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null)
      : grpcCredentials.createInsecure());
  const metadata = options.token
    ? { ...options.metadata, authorization: `Bearer ${options.token}` }
    : { ...options.metadata };
  return { credentials, metadata };
}
