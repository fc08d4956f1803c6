// The engine benchmark's reference set-up: Kamailio (tm stateful relay with record_route, kamailio.cfg beside
// this file) between sipp's built-in uac and uas, on 127.0.0.1 and ports chosen for this run. Started for one
// step and stopped after it, like the engine in its steps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKamailio, type KamailioProcess } from '../../test/harness/kamailio.js';

/**
 * Shared memory per call in flight, in MiB: tm keeps every finished transaction for its 5 s wait timer
 * (about 27 KiB a call), so a run holds roughly `rate × 6 s` of them.
 */
const SHM_MIB_PER_CALL = 28 / 1024;
const SHM_HELD_S = 6;
const SHM_BASE_MIB = 128;
/** Private memory per process, MiB. */
const PKG_MIB = 16;

export interface KamailioRelayOptions {
  /** UDP port of the callee (a sipp uas) on 127.0.0.1. */
  calleePort: number;
  /** The highest call rate the relay will see, to size its shared memory. */
  rate: number;
  /** Receive and send buffer of its UDP socket (Kamailio probes up to it, `-b`). */
  udpBufferBytes: number;
}

/** Starts the relay; the caller stops it. */
export function startKamailioRelay(options: KamailioRelayOptions): Promise<KamailioProcess> {
  const template = readFileSync(join(__dirname, 'kamailio.cfg'), 'utf8');
  const shmMib = Math.ceil(SHM_BASE_MIB + options.rate * SHM_HELD_S * SHM_MIB_PER_CALL);
  return startKamailio(
    (site) =>
      template
        .replaceAll('@PORT@', String(site.port))
        .replaceAll('@RUNDIR@', site.dir)
        .replaceAll('@MODULES@', site.modules)
        .replaceAll('@CALLEE_PORT@', String(options.calleePort)),
    // tlsf: the Debian build's default allocator (qm) is a debugging one that costs several times the CPU.
    ['-x', 'tlsf', '-m', String(shmMib), '-M', String(PKG_MIB), '-b', String(options.udpBufferBytes)],
  );
}
