// Certificates for TLS tests, made with the real openssl at test time: a throwaway CA per test file and
// leaf certificates it signs, in a temp dir. Nothing is checked in, so nothing expires in the repository.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

export interface LeafOptions {
  /** Subject alternative names. @default ['IP:127.0.0.1', 'DNS:localhost'] */
  altNames?: readonly string[];
  /** Days from now the certificate is valid; negative: already expired (for refusal tests). @default 2 */
  validDays?: number;
}

export interface TestCertificateAuthority extends AsyncDisposable {
  /** The CA's certificate (PEM): what a peer trusts. */
  caFile: string;
  /** A certificate for `commonName` signed by this CA, usable by a server and a client. */
  issue(commonName: string, options?: LeafOptions): CertificateFiles;
  remove(): void;
}

const DAYS = '2';
// P-256 keys: made in milliseconds, where RSA keys take a noticeable share of a busy machine.
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A new CA in its own temp dir; `remove()` (or `await using`) deletes it and everything it issued. */
export function makeCertificateAuthority(name = 'callctl-test-ca'): TestCertificateAuthority {
  const openssl = requireBinary('openssl', 'openssl');
  const dir = mkdtempSync(join(tmpdir(), 'callctl-certs-'));
  const run = (args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  const caFile = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  run([
    'req',
    '-x509',
    ...KEY_ARGS,
    '-keyout',
    caKey,
    '-out',
    caFile,
    '-days',
    DAYS,
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  let issued = 0;
  const remove = () => rmSync(dir, { recursive: true, force: true });
  return {
    caFile,
    issue(commonName, options = {}) {
      const base = join(dir, `leaf-${++issued}`);
      const extensions = `${base}.ext`;
      writeFileSync(
        extensions,
        [
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth,clientAuth',
          `subjectAltName=${(options.altNames ?? ['IP:127.0.0.1', 'DNS:localhost']).join(',')}`,
        ].join('\n'),
      );
      run([
        'req',
        ...KEY_ARGS,
        '-keyout',
        `${base}.key`,
        '-out',
        `${base}.csr`,
        '-subj',
        `/CN=${commonName}`,
      ]);
      run([
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-out',
        `${base}.pem`,
        '-days',
        String(options.validDays ?? DAYS),
        '-extfile',
        extensions,
      ]);
      return { certFile: `${base}.pem`, keyFile: `${base}.key` };
    },
    remove,
    [Symbol.asyncDispose]: async () => remove(),
  };
}
