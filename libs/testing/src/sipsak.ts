// sipsak (GnuTLS build, Debian `sipsak`): a real SIP client that sends one request and prints the reply,
// for tests of the TLS transport from a stack other than Node's OpenSSL.
import { execFile } from 'node:child_process';
import { requireBinary } from './binaries.js';

export interface SipsakOptions {
  /** The request URI without a port, e.g. `sip:app@127.0.0.1`. */
  uri: string;
  /**
   * The server's port, passed as `--remote-port`: sipsak 0.9.8 checks a TLS server's certificate against
   * the URI's host with a port in it, cut one digit short, so a port in the URI fails every verification.
   */
  port: number;
  /** `udp`, `tcp` or `tls` (sipsak's `--transport`). */
  transport: 'udp' | 'tcp' | 'tls';
  /** The CA sipsak trusts for the server's certificate. */
  caFile?: string;
  /** A PEM file holding sipsak's client certificate and its key. */
  clientCertFile?: string;
  /** `-M` sends a MESSAGE, `-I` an INVITE (sipsak's usrloc modes); default an OPTIONS. */
  extraArgs?: readonly string[];
  /** @default 15_000 */
  timeoutMs?: number;
}

export interface SipsakResult {
  /** sipsak's exit code: 0 a 2xx, 1 a non-2xx final response, 2 none or an error, 3 an internal error. */
  code: number;
  output: string;
}

export function runSipsak(options: SipsakOptions): Promise<SipsakResult> {
  const sipsak = requireBinary('sipsak', 'sipsak');
  const args = ['-vv', '--transport', options.transport, '-s', options.uri, '-r', String(options.port)];
  if (options.caFile) args.push('--tls-ca-cert', options.caFile);
  if (options.clientCertFile) args.push('--tls-client-cert', options.clientCertFile);
  args.push(...(options.extraArgs ?? []));
  return new Promise((resolve) => {
    execFile(sipsak, args, { timeout: options.timeoutMs ?? 15_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}
