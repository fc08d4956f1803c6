import { startKamailio, type KamailioProcess, type KamailioSite } from './kamailio.js';

export type KamailioProxy = KamailioProcess;

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
export function startKamailioProxy(options: KamailioProxyOptions): Promise<KamailioProxy> {
  return startKamailio((site) => proxyConfig({ ...options, ...site }));
}

function proxyConfig(o: KamailioProxyOptions & KamailioSite): string {
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
