// `make dev`'s TLS material, made with the real openssl under .state/dev-tls and kept there: a dev CA and a
// certificate it signs for 127.0.0.1 and localhost, which the SIP engine presents on its TLS (5061) and
// WSS (8443) listeners. A browser or phone trusts ca.pem once; a later `make dev` reuses both, and makes
// the certificate again (with the same CA) when it nears its end. The CA is name-constrained to loopback
// names, so trusting it cannot vouch for any other site even if its key left this machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renewal, type Renewal } from './renewal';

export interface DevCertificates {
  /** The dev CA's certificate (PEM): what a browser, a phone or a test client is told to trust. */
  caFile: string;
  /** The engine's certificate and key (DRACHTIO_TLS_CERT_FILE, DRACHTIO_TLS_KEY_FILE). */
  certFile: string;
  keyFile: string;
}

export interface DevCertificateOptions {
  /** A certificate or CA expiring within this many days is made again. @default 30 */
  renewWithinDays?: number;
  /** @default 'openssl' (from PATH) */
  openssl?: string;
}

// Browsers refuse server certificates valid for more than 398 days; a year is under every such cap.
const CERT_DAYS = 365;
const CA_DAYS = 3650;
const CA_NAME = 'callctl dev CA (this machine only)';
// P-256: made in milliseconds, and accepted by every browser and SIP stack the walk-through names.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const LOOPBACK_NAMES = ['IP:127.0.0.1', 'DNS:localhost'];

/** Where the files live under `dir` (whether or not they exist yet). */
export function devCertificatePaths(dir: string): DevCertificates {
  return { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'cert.key') };
}

/** Makes what is missing or expiring under `dir`; says what it made. */
export function ensureDevCertificates(
  dir: string,
  options: DevCertificateOptions = {},
): DevCertificates & { made: Renewal } {
  const openssl = options.openssl ?? 'openssl';
  const renewSeconds = String((options.renewWithinDays ?? 30) * 86_400);
  const paths = devCertificatePaths(dir);
  const caKey = join(dir, 'ca.key');
  const succeeds = (args: string[]) => spawnSync(openssl, args, { stdio: 'ignore' }).status === 0;
  const lastsBeyondWindow = (pem: string, key: string) =>
    existsSync(pem) && existsSync(key) && succeeds(['x509', '-in', pem, '-noout', '-checkend', renewSeconds]);

  const made = renewal({
    caUsable: lastsBeyondWindow(paths.caFile, caKey),
    certUsable: lastsBeyondWindow(paths.certFile, paths.keyFile),
    certSignedByCa:
      existsSync(paths.caFile) &&
      existsSync(paths.certFile) &&
      succeeds(['verify', '-CAfile', paths.caFile, paths.certFile]),
  });
  if (!made.makeCa && !made.makeCert) return { ...paths, made };

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const run = (args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  // Each file is written under a temporary name and renamed into place, so an interrupted run leaves the
  // previous files or none, never a key that does not match its certificate.
  const staged: [string, string][] = [];
  const stage = (final: string) => {
    const temporary = `${final}.new`;
    staged.push([temporary, final]);
    return temporary;
  };

  const caPem = made.makeCa ? stage(paths.caFile) : paths.caFile;
  const caKeyFile = made.makeCa ? stage(caKey) : caKey;
  if (made.makeCa) {
    run([
      'req',
      '-x509',
      ...NEW_KEY,
      '-keyout',
      caKeyFile,
      '-out',
      caPem,
      '-days',
      String(CA_DAYS),
      '-subj',
      `/CN=${CA_NAME}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-addext',
      'nameConstraints=critical,permitted;IP:127.0.0.0/255.0.0.0,permitted;DNS:localhost',
    ]);
  }
  const certPem = stage(paths.certFile);
  const certKey = stage(paths.keyFile);
  const request = join(dir, 'cert.csr');
  const extensions = join(dir, 'cert.ext');
  writeFileSync(
    extensions,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      // clientAuth too: a dev phone (baresip, linphone) may present it when client certificates are asked for.
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=${LOOPBACK_NAMES.join(',')}`,
    ].join('\n'),
  );
  run(['req', ...NEW_KEY, '-keyout', certKey, '-out', request, '-subj', '/CN=localhost']);
  run([
    'x509',
    '-req',
    '-in',
    request,
    '-CA',
    caPem,
    '-CAkey',
    caKeyFile,
    '-set_serial',
    `0x${Date.now().toString(16)}`,
    '-days',
    String(CERT_DAYS),
    '-extfile',
    extensions,
    '-out',
    certPem,
  ]);
  rmSync(request, { force: true });
  rmSync(extensions, { force: true });
  for (const [temporary, final] of staged) {
    if (temporary.endsWith('.key.new')) chmodSync(temporary, 0o600);
    renameSync(temporary, final);
  }
  return { ...paths, made };
}
