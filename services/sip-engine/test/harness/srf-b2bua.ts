// A minimal drachtio-srf B2BUA, run as a child process against a sip-engine (tests and the benchmark):
// every INVITE is bridged with srf.createB2BUA to B2BUA_TARGET (a SIP URI, e.g. a sipp UAS), with the
// caller's SDP offered to the B leg. Environment: ENGINE_ADMIN (host:port), ENGINE_SECRET, B2BUA_TARGET.
import type Srf from 'drachtio-srf';
import { connectSrf } from './srf-connect.js';

async function main() {
  const target = process.env.B2BUA_TARGET;
  if (!target) throw new Error('B2BUA_TARGET is required (the URI to send the B leg to)');
  const srf = await connectSrf('srf-b2bua');
  srf.invite((req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    // drachtio-srf 5.0.29's createB2BUA starts listening for the caller's CANCEL only once the engine has
    // echoed the B-leg INVITE; a CANCEL that reaches the app before that would leave the B leg ringing. So
    // note it here and cancel the B leg as soon as srf hands it over (the engine holds that CANCEL until the
    // B leg has sent a provisional, RFC 3261 9.1).
    let callerCancelled = false;
    req.on('cancel', () => (callerCancelled = true));
    const onBLegSent = (err: unknown, bLeg?: Srf.SrfRequest) => {
      if (!err && callerCancelled) bLeg?.cancel(() => undefined);
    };
    srf
      .createB2BUA(
        req,
        res,
        target,
        { localSdpB: req.body },
        // srf calls cbRequest(err, req); its typings name only the request
        { cbRequest: onBLegSent as unknown as (req: Srf.SrfRequest) => void },
      )
      .then(({ uas, uac }) => {
        // Either side hanging up ends the other: srf leaves that to the app.
        let ended = false;
        const end = (other: Srf.Dialog) => {
          if (ended) return;
          ended = true;
          // With a callback srf reports a failed BYE there instead of rejecting a promise nobody awaits.
          other.destroy(undefined, () => undefined);
        };
        uas.on('destroy', () => end(uac));
        uac.on('destroy', () => end(uas));
      })
      .catch((err: { status?: number }) => {
        // A failed B leg is passed back to the caller by srf itself (passFailure defaults to true).
        if (!err.status) console.error(`createB2BUA failed: ${String(err)}`);
      });
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
