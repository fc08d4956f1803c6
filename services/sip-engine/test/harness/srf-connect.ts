import Srf from 'drachtio-srf';

/** The SDP answer the harness apps give: fixed, loopback, PCMU. */
export const SDP_ANSWER = [
  'v=0',
  'o=harness 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 30000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  'a=sendrecv',
  '',
].join('\r\n');

/** Connects a new Srf to the engine named by ENGINE_ADMIN / ENGINE_SECRET and says `app ready` on stdout. */
export async function connectSrf(name: string): Promise<Srf> {
  const admin = process.env.ENGINE_ADMIN ?? '127.0.0.1:9022';
  const colon = admin.lastIndexOf(':');
  const srf = new Srf(name);
  srf.on('error', (err: Error) => console.error(`${name}: srf error: ${err.message}`));
  await srf.connect({
    host: admin.slice(0, colon),
    port: Number(admin.slice(colon + 1)),
    secret: process.env.ENGINE_SECRET ?? 'cymru',
  });
  console.log(`${name}: app ready`);
  return srf;
}
