// The engine's certificate and TLS policy (config.ts, drachtio-server's names) as Node's TLS server options.
import { readFileSync } from 'node:fs';
import type { TlsOptions } from 'node:tls';
import type { TlsCredentials } from './tls-transport.js';

/**
 * Reads the certificate files once at listen time: a missing or unreadable file fails the engine's start
 * (naming the file) instead of the first handshake. The chain file follows the leaf certificate, as
 * drachtio-server sends it.
 */
export function tlsServerOptions(credentials: TlsCredentials): TlsOptions {
  const read = (what: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} file ${file}: ${(err as Error).message}`);
    }
  };
  const cert = credentials.chainFile
    ? Buffer.concat([
        read('certificate', credentials.certFile),
        Buffer.from('\n'),
        read('chain', credentials.chainFile),
      ])
    : read('certificate', credentials.certFile);
  return {
    cert,
    key: read('key', credentials.keyFile),
    ...(credentials.dhParamFile ? { dhparam: read('DH parameters', credentials.dhParamFile) } : {}),
    ...(credentials.caFile ? { ca: read('CA', credentials.caFile) } : {}),
    ...(credentials.ciphers ? { ciphers: credentials.ciphers } : {}),
    minVersion: credentials.minVersion,
    requestCert: credentials.verifyClientCert,
    rejectUnauthorized: credentials.verifyClientCert,
  };
}
