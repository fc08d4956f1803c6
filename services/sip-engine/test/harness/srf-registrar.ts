// A minimal drachtio-srf registrar, run as a child process against a sip-engine (the WebSocket benchmark):
// every REGISTER gets 200 with its Contact and the expiry it asked for, which is what makes the engine
// keep the device's connection as its registered flow (core/registered-flows.ts).
//
// Environment: ENGINE_ADMIN (host:port), ENGINE_SECRET.
import type { LooseSrf } from '../support/srf-types.js';
import { connectSrf } from './srf-connect.js';

async function main() {
  const srf = (await connectSrf('srf-registrar')) as unknown as LooseSrf;
  srf.register((req, res) => {
    const expires = req.get('Expires') || '3600';
    res.send(200, { headers: { Contact: `${req.get('Contact')};expires=${expires}` } });
  });
}

main().catch((err: unknown) => {
  console.error(`srf-registrar failed: ${String(err)}`);
  process.exit(1);
});
