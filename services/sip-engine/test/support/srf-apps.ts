// Small drachtio-srf apps the tests run against the engine.
import type Srf from 'drachtio-srf';
import { routed, type EngineEnv } from './engine-env.js';
import { SDP_B } from './scripted-ua.js';
import { asDialog, type SrfDialog } from './srf-types.js';

/** An app answering the next INVITE with createUAS; `dialog` resolves when the 200 went out. */
export async function uasApp(
  env: EngineEnv,
  srf: Srf,
  localSdp = SDP_B,
): Promise<{ dialog: Promise<SrfDialog> }> {
  const dialog = new Promise<SrfDialog>((resolve, reject) =>
    srf.invite((req, res) => srf.createUAS(req, res, { localSdp }).then((d) => resolve(asDialog(d)), reject)),
  );
  await routed(env, 'invite');
  return { dialog };
}
