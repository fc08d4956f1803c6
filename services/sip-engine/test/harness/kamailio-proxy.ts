import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  isBound,
  requireBinary,
  startProcess,
  waitFor,
  type ManagedProcess,
} from '@callctl/testing';

const MODULE_DIRS = [
  '/usr/lib/x86_64-linux-gnu/kamailio/modules',
  '/usr/lib/aarch64-linux-gnu/kamailio/modules',
  '/usr/lib/kamailio/modules',
];

export interface KamailioProxy {
  port: number;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export interface KamailioProxyOptions {
  /** Where initial requests for `sip:callee@…` go (a sipp callee), `127.0.0.1` assumed. */
  calleePort: number;
  /** Where every other initial request goes (the engine). */
  enginePort: number;
}

/**
 * A real Kamailio on 127.0.0.1 (UDP) as a stateful, record-routing proxy between sipp and the engine: the
 * peer that puts a route set into dialogs. Initial requests are sent on by Request-URI user (`callee` to the
 * sipp callee, anything else to the engine); in-dialog requests must come back with its Route (loose
 * routing) or get 404.
 */
export async function startKamailioProxy(options: KamailioProxyOptions): Promise<KamailioProxy> {
  const binary = requireBinary('kamailio', 'kamailio');
  const modules = MODULE_DIRS.find((dir) => existsSync(join(dir, 'tm.so')));
  if (!modules) throw new Error(`kamailio modules (tm.so) not found in ${MODULE_DIRS.join(', ')}`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const config = join(dir, 'kamailio.cfg');
  writeFileSync(config, proxyConfig({ ...options, port, modules, dir }));
  const proc = startProcess(binary, ['-DD', '-E', '-m', '64', '-M', '8', '-f', config]);
  const ready = await waitFor(
    `kamailio on udp 127.0.0.1:${port}`,
    // An exit ends the wait at once (a bad config is reported in its output).
    () => (proc.child.exitCode !== null ? 'exited' : isBound('udp', port) && 'ready'),
    10_000,
    50,
  ).catch((error: unknown) => String(error));
  if (ready !== 'ready') {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kamailio did not start (${ready}):\n${proc.output().slice(-3000)}`);
  }
  return {
    port,
    process: proc,
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function proxyConfig(o: KamailioProxyOptions & { port: number; modules: string; dir: string }): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
listen=udp:127.0.0.1:${o.port}
auto_aliases=no
disable_tcp=yes
dns=no
rev_dns=no
use_dns_cache=no
rundir="${o.dir}"
mpath="${o.modules}/"

loadmodule "pv.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"

request_route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (has_totag()) {
        # in-dialog: only along the route set this proxy recorded
        if (loose_route()) {
            t_relay();
            exit;
        }
        if (is_method("ACK") && t_check_trans()) {
            t_relay();
            exit;
        }
        sl_send_reply("404", "No Route to this proxy");
        exit;
    }
    if (is_method("CANCEL")) {
        if (t_check_trans()) t_relay();
        exit;
    }
    t_check_trans();
    record_route();
    if ($rU == "callee") {
        rewritehostport("127.0.0.1:${o.calleePort}");
    } else {
        rewritehostport("127.0.0.1:${o.enginePort}");
    }
    t_relay();
}
`;
}
