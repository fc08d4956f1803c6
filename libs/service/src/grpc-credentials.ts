// The one home of gRPC transport security: what a server listens with (plain, TLS, or TLS that requires a
// client certificate) and what an internal client dials with (plain, or mTLS with the internal CA).
import {
  credentials as channelCredentials,
  experimental,
  ServerCredentials,
  type ChannelCredentials,
} from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';
import { CertificateFiles } from './certificate-files.js';

/** TLS on a server's port (PEM paths). */
export interface ServerTlsFiles {
  certFile: string;
  keyFile: string;
  /** Also require a client certificate that chains to this CA. */
  clientCaFile?: string;
  /** How often the files are read again (rotation). @default DEFAULT_RELOAD_INTERVAL_MS */
  reloadIntervalMs?: number;
}

/** Internal mTLS (INTERNAL_TLS_*): the internal CA, and this service's own certificate and key. */
export interface InternalTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface Credentials<C> {
  credentials: C;
  /** Stops re-reading the files. */
  close(): void;
}

export function serverCredentials(
  tls: ServerTlsFiles | undefined,
  log: Logger,
): Credentials<ServerCredentials> {
  if (!tls) return { credentials: ServerCredentials.createInsecure(), close: () => {} };
  const files = new CertificateFiles({
    certFile: tls.certFile,
    keyFile: tls.keyFile,
    ...(tls.clientCaFile ? { caFile: tls.clientCaFile } : {}),
    ...(tls.reloadIntervalMs ? { reloadIntervalMs: tls.reloadIntervalMs } : {}),
    log,
  });
  // grpc-js 1.14 declares (ca, identity) but its constructor takes (identity, ca): the identity provider
  // goes first, and the CA provider (null: no client certificates asked for) second. The TLS tests cover
  // both shapes, so an upgrade that swaps them back fails there.
  const credentials = experimental.createCertificateProviderServerCredentials(
    files,
    tls.clientCaFile ? files : (null as unknown as experimental.CertificateProvider),
    tls.clientCaFile !== undefined,
  );
  return { credentials, close: () => files.close() };
}

/** A server's side of internal mTLS: TLS with this service's pair, and a client certificate required. */
export function internalServerTls(tls: InternalTls | undefined): ServerTlsFiles | undefined {
  return tls && { certFile: tls.certFile, keyFile: tls.keyFile, clientCaFile: tls.caFile };
}

/**
 * What an internal client dials with. With mTLS the peer's certificate must chain to the internal CA, and
 * its host name is not compared with the address dialled: peers are reached at pod IPs that no certificate
 * can list (ADVERTISE_GRPC), and the internal CA signs only the platform's own services, so a certificate
 * from it is the proof that the peer is one of them.
 */
export function internalChannelCredentials(
  tls: InternalTls | undefined,
  log: Logger,
): Credentials<ChannelCredentials> {
  if (!tls) return { credentials: channelCredentials.createInsecure(), close: () => {} };
  const files = new CertificateFiles({ ...tls, log });
  const credentials = experimental.createCertificateProviderChannelCredentials(files, files, {
    checkServerIdentity: () => undefined,
  });
  return { credentials, close: () => files.close() };
}
