// Small drachtio-srf apps the tests run against the engine.
import type Srf from 'drachtio-srf';
import { routed, type EngineEnv } from './engine-env.js';
import type { SipRequest, SipResponse } from '@callctl/sip';
import { dialogAsUac, SDP_B, type ScriptedUa, type UaDialog } from './scripted-ua.js';
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

/** A call from the scripted peer answered by srf createUAS and ACKed: both sides' views of the dialog. */
export async function inboundCall(
  env: EngineEnv,
  srf: Srf,
  ua: ScriptedUa,
  protocol: 'udp' | 'tcp' = 'udp',
): Promise<{ dialog: SrfDialog; ua: UaDialog; invite: SipRequest; ok: SipResponse }> {
  const { dialog } = await uasApp(env, srf);
  const invite = ua.invite(env.uri(protocol));
  await ua.send(invite, env.peer(protocol));
  const ok = await ua.expectResponse(200, 'INVITE');
  await ua.send(ua.ackFor(invite, ok), env.peer(protocol));
  const srfDialog = await dialog;
  await new Promise<void>((resolve) => srfDialog.once('ack', () => resolve()));
  return { dialog: srfDialog, ua: dialogAsUac(invite, ok), invite, ok };
}
