// make dev's dev CA and certificate, made by the real openssl in a temp dir, and used by a real TLS
// handshake: a Node client that trusts ca.pem alone accepts the certificate for 127.0.0.1 and localhost.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { devCertificatePaths, ensureDevCertificates } from './dev-certificates';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'callctl-dev-tls-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (file: string) => readFileSync(file, 'utf8');

/** Handshakes with a server presenting the dev certificate, as a client trusting only the dev CA. */
async function handshake(files: { caFile: string; certFile: string; keyFile: string }, servername?: string) {
  const server = createServer({ cert: read(files.certFile), key: read(files.keyFile) }, (socket) =>
    socket.end('hello'),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const socket: TLSSocket = connect({
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      ca: read(files.caFile),
      ...(servername ? { servername } : {}),
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('no handshake within 5 s')));
    await once(socket, 'secureConnect');
    const authorized = socket.authorized;
    socket.destroy();
    return authorized;
  } finally {
    server.close();
  }
}

describe('the dev certificate', () => {
  it('is made once: a CA and a certificate for 127.0.0.1 and localhost that a client trusting the CA accepts', async () => {
    const files = ensureDevCertificates(dir);
    expect(files.made).toEqual({ makeCa: true, makeCert: true });
    expect(files).toMatchObject(devCertificatePaths(dir));
    await expect(handshake(files)).resolves.toBe(true);
    await expect(handshake(files, 'localhost')).resolves.toBe(true);
    // The private keys are the user's alone.
    expect(statSync(files.keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'ca.key')).mode & 0o777).toBe(0o600);

    const before = [read(files.caFile), read(files.certFile), read(files.keyFile)];
    const again = ensureDevCertificates(dir);
    expect(again.made).toEqual({ makeCa: false, makeCert: false });
    expect([read(files.caFile), read(files.certFile), read(files.keyFile)]).toEqual(before);
  });

  it('makes the certificate again with the same CA when it nears its end, so the trusted CA stays', async () => {
    const first = ensureDevCertificates(dir);
    const ca = read(first.caFile);
    const cert = read(first.certFile);
    // A window longer than the certificate's year (and shorter than the CA's ten): the certificate is due.
    const renewed = ensureDevCertificates(dir, { renewWithinDays: 400 });
    expect(renewed.made).toEqual({ makeCa: false, makeCert: true });
    expect(read(renewed.caFile)).toBe(ca);
    expect(read(renewed.certFile)).not.toBe(cert);
    await expect(handshake(renewed)).resolves.toBe(true);
  });

  it('makes both again when the CA is gone, and the old certificate no longer counts', async () => {
    const first = ensureDevCertificates(dir);
    const cert = read(first.certFile);
    rmSync(join(dir, 'ca.key'));
    const remade = ensureDevCertificates(dir);
    expect(remade.made).toEqual({ makeCa: true, makeCert: true });
    expect(read(remade.certFile)).not.toBe(cert);
    await expect(handshake(remade)).resolves.toBe(true);
  });

  it('limits the CA to loopback names: a certificate it signs for another name does not verify', () => {
    const files = ensureDevCertificates(dir);
    const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(['req', ...newKey, '-keyout', 'other.key', '-out', 'other.csr', '-subj', '/CN=bank.example']);
    writeFileSync(join(dir, 'other.ext'), 'subjectAltName=DNS:bank.example\n');
    const sign = ['-CA', files.caFile, '-CAkey', 'ca.key', '-set_serial', '7', '-days', '1'];
    openssl(['x509', '-req', '-in', 'other.csr', ...sign, '-extfile', 'other.ext', '-out', 'other.pem']);
    expect(() => openssl(['verify', '-CAfile', files.caFile, 'other.pem'])).toThrow(
      /permitted subtree violation/,
    );
    expect(openssl(['verify', '-CAfile', files.caFile, files.certFile]).toString()).toContain('OK');
  });
});
