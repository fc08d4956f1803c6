// TLS certificates from PEM files, for grpc-js's certificate-provider credentials: read (and checked) when
// the service starts, so a wrong path or a broken key stops it with one line, then re-read while it runs, so
// a rotated Secret is served to new connections without a restart. Existing connections keep theirs.
import { createSecureContext } from 'node:tls';
import type { experimental } from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';
import { DEFAULT_RELOAD_INTERVAL_MS, pollFiles, readFiles } from './polled-files.js';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

export interface CertificateFilesOptions {
  /** This side's certificate (chain) and private key. */
  certFile: string;
  keyFile: string;
  /** The CA that the other side's certificate must chain to. */
  caFile?: string;
  /** @default DEFAULT_RELOAD_INTERVAL_MS */
  reloadIntervalMs?: number;
  log: Logger;
}

export class TlsFilesError extends Error {
  override readonly name = 'TlsFilesError';
  readonly code = 'TLS_FILES_INVALID';
}

interface Contents {
  certificate: Buffer;
  privateKey: Buffer;
  ca?: Buffer;
}

/** A certificate provider over files, with the files read once now and polled for changes. */
export class CertificateFiles implements CertificateProvider {
  private current: Contents;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private readonly stopPolling: () => void;

  constructor(private readonly options: CertificateFilesOptions) {
    const files = [options.certFile, options.keyFile, ...(options.caFile ? [options.caFile] : [])];
    let initial: Buffer[];
    try {
      initial = readFiles(files);
      this.current = usable(initial);
    } catch (error) {
      throw new TlsFilesError(`TLS files unusable: ${(error as Error).message}`, { cause: error });
    }
    this.stopPolling = pollFiles(
      files,
      initial,
      options.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS,
      (contents) => this.reload(contents),
    );
  }

  private reload(contents: Buffer[]): void {
    try {
      this.current = usable(contents);
    } catch (error) {
      // Half of a pair written (a copy, not a Secret's atomic swap): keep serving the last good pair.
      this.options.log.warn({ err: error, file: this.options.certFile }, 'TLS files changed but unusable');
      return;
    }
    this.options.log.info({ file: this.options.certFile }, 'TLS certificates reloaded');
    for (const listener of this.caListeners) listener(this.caUpdate());
    for (const listener of this.identityListeners) listener(this.identityUpdate());
  }

  private caUpdate() {
    return this.current.ca ? { caCertificate: this.current.ca } : null;
  }

  private identityUpdate() {
    return { certificate: this.current.certificate, privateKey: this.current.privateKey };
  }

  // grpc-js asks for the credentials while it sets up a listener; they are handed over on the next tick,
  // as its own file watcher does, which is still before the port takes a connection.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => this.caListeners.has(listener) && listener(this.caUpdate()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => this.identityListeners.has(listener) && listener(this.identityUpdate()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  close(): void {
    this.stopPolling();
  }
}

/** The files as a pair (and CA) that TLS accepts; throws what TLS says is wrong with them. */
function usable([certificate, privateKey, ca]: Buffer[]): Contents {
  createSecureContext({ cert: certificate, key: privateKey, ...(ca ? { ca } : {}) });
  return { certificate: certificate!, privateKey: privateKey!, ...(ca ? { ca } : {}) };
}
