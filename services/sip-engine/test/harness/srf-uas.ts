// A minimal drachtio-srf UAS, run as a child process against a sip-engine (tests and the benchmark). It is
// written only against the public srf API, so what passes here is what an unchanged srf app would see.
//
// Environment: ENGINE_ADMIN (host:port), ENGINE_SECRET. What it does with an INVITE depends on the
// Request-URI user part, so one app serves every scenario:
//   slow-*   180 Ringing, then no answer for 30 s (the caller is expected to CANCEL)
//   busy-*   486 Busy Here
//   hold-*   answers, then re-INVITEs the caller with an a=sendonly offer (dialog.modify) once the ACK is in
//   anything else: 180 Ringing, then createUAS with a fixed SDP answer
// The dialog's defaults answer re-INVITEs (200 with the same SDP) and BYEs. With LOG_DIALOGS=1 it prints
// `dialog up <Call-ID>` once a call is established (tests wait on it; the benchmark leaves it off).
import type Srf from 'drachtio-srf';
import { connectSrf, SDP_ANSWER } from './srf-connect.js';

const SLOW_ANSWER_MS = 30_000;

async function main() {
  const logDialogs = process.env.LOG_DIALOGS === '1';
  const srf = await connectSrf('srf-uas');
  srf.invite((req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    const user = /^sips?:([^@;]+)@/.exec(req.uri)?.[1] ?? '';
    let cancelled = false;
    req.on('cancel', () => (cancelled = true));
    const answer = () => {
      if (cancelled) return;
      srf
        .createUAS(req, res, { localSdp: SDP_ANSWER })
        .then((dialog) => {
          if (logDialogs) console.log(`dialog up ${req.get('Call-ID')}`);
          // Not before the ACK: no new INVITE transaction while the first one is in progress (RFC 3261 14.1).
          if (user.startsWith('hold')) {
            dialog.once('ack', () => {
              dialog
                .modify(SDP_ANSWER.replace('a=sendrecv', 'a=sendonly'))
                .catch((err: unknown) => console.error(`modify failed: ${String(err)}`));
            });
          }
        })
        .catch((err: unknown) => console.error(`createUAS failed: ${String(err)}`));
    };
    if (user.startsWith('busy')) return res.send(486);
    res.send(180);
    if (user.startsWith('slow')) setTimeout(answer, SLOW_ANSWER_MS).unref();
    else answer();
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
