// A registrar app for the srf tests: every REGISTER gets 200 with its Contact and the expiry it asked for
// (Expires: 0 removes the binding), as sip-edge's registrar grants it; what the engine told the app of the
// first REGISTER (packet source, transport, Via) is kept for the test to check.
import { routed, type EngineEnv } from './engine-env.js';
import type { LooseSrf, SrfMessage } from './srf-types.js';

export interface Registration {
  source_address: string;
  source_port: number;
  protocol: string;
  via: string;
}

/** Connects the app; resolves once it routes REGISTER, with a promise of what it saw of the first one. */
export async function registrar(env: EngineEnv): Promise<{ first: Promise<Registration> }> {
  const srf = (await env.app()) as unknown as LooseSrf;
  const first = new Promise<Registration>((resolve) =>
    srf.register((req, res) => {
      const r = req as SrfMessage & Omit<Registration, 'via'>;
      resolve({
        source_address: r.source_address,
        source_port: r.source_port,
        protocol: r.protocol,
        via: req.get('Via'),
      });
      res.send(200, { headers: { Contact: `${req.get('Contact')};expires=${req.get('Expires')}` } });
    }),
  );
  await routed(env, 'register');
  // Wrapped: an async function returning the promise itself would wait for it.
  return { first };
}
