// Kamailio as the SIP peers of the trunk and registrar tests (issue 19), each a configuration for
// kamailio.ts's launcher: a provider's registrar that challenges with digest (auth + auth_db over db_text
// tables, MD5 or SHA-256, usrloc in memory) and routes INVITEs to the contacts registered with it; a trunk
// gateway that answers every request with one status (503 for failover tests); a device that registers to
// a registrar with the uac module's uac_reg.
import { randomBytes } from 'node:crypto';
import { startKamailio, type KamailioProcess, type KamailioSite } from './kamailio.js';

/** Small and quick to start: one UDP and one TCP worker, 32 MiB shared memory. */
const PEER_ARGS = ['-m', '32', '-M', '8'];

export interface KamailioAccount {
  username: string;
  password: string;
}

export interface KamailioRegistrarOptions {
  /** The digest realm and the domain of the AORs (the To host of REGISTERs). */
  realm: string;
  users: readonly KamailioAccount[];
  /** The auth module's `algorithm`: the one algorithm its challenges name. */
  algorithm: 'MD5' | 'SHA-256';
  /** Expiry bounds of registrar (s): a requested expiry above the maximum is granted as the maximum. */
  minExpiresS?: number;
  /** @default 3600 */
  maxExpiresS?: number;
  /** The answer to credentials with a wrong password or an unknown user (401: a new challenge). @default 403 */
  wrongPasswordStatus?: 401 | 403;
}

/** One contact in usrloc's location table (`ul.dump`). */
export interface KamailioContact {
  /** The AOR's user (Kamailio keys the table by user, use_domain=0). */
  aor: string;
  address: string;
  expiresS: number;
  callId: string;
  cseq: number;
}

export interface KamailioRegistrar extends KamailioProcess {
  /** `sip:127.0.0.1:<port>`: where REGISTERs and INVITEs to registered users go (UDP; TCP on the same port). */
  uri: string;
  /** The contacts registered now. */
  contacts(): Promise<KamailioContact[]>;
  /**
   * REGISTERs so far: saved (refreshes and removals included, registrar's statistics) and refused for wrong
   * credentials (a wrong password or an unknown user, counted by the script).
   */
  registerCounts(): Promise<{ accepted: number; refused: number }>;
}

/**
 * A provider's registrar: REGISTERs are challenged (401, `qop="auth"`, `algorithm` as configured) and saved
 * once authenticated; an INVITE to a registered user is relayed (tm) to its contact, else 404.
 */
export async function startKamailioRegistrar(options: KamailioRegistrarOptions): Promise<KamailioRegistrar> {
  const kamailio = await startKamailio(
    (site) => registrarConfig(site, options),
    PEER_ARGS,
    () => ({ version: dbTextVersions({ subscriber: 7 }), subscriber: subscriberTable(options) }),
  );
  return {
    ...kamailio,
    uri: `sip:127.0.0.1:${kamailio.port}`,
    contacts: async () => parseLocations(await kamailio.rpc('ul.dump')),
    registerCounts: async () => {
      const stats = parseStatistics(await kamailio.rpc('stats.get_statistics', 'registrar:'));
      return {
        accepted: stats['registrar:accepted_regs'] ?? NaN,
        refused: sharedValue(await kamailio.rpc('pv.shvGet', 'refused')),
      };
    },
  };
}

export interface KamailioGatewayOptions {
  /** @default 503 */
  status?: number;
  /** @default "Service Unavailable" */
  reason?: string;
}

export interface KamailioGateway extends KamailioProcess {
  uri: string;
  /** Requests of this method received so far (counted by the script in shared variables). */
  received(method: 'INVITE' | 'REGISTER' | 'OPTIONS'): Promise<number>;
}

/** A trunk gateway that answers every request (ACK aside) with one status, statelessly. */
export async function startKamailioGateway(options: KamailioGatewayOptions = {}): Promise<KamailioGateway> {
  const kamailio = await startKamailio((site) => gatewayConfig(site, options), PEER_ARGS);
  return {
    ...kamailio,
    uri: `sip:127.0.0.1:${kamailio.port}`,
    received: async (method) => sharedValue(await kamailio.rpc('pv.shvGet', method.toLowerCase())),
  };
}

export interface KamailioUacRegistrationOptions {
  /** The registrar registered to. */
  registrar: { host: string; port: number; transport?: 'udp' | 'tcp' };
  /** The AOR's domain (To/From host) and the realm of the credentials. */
  domain: string;
  username: string;
  password: string;
  /** @default 60 */
  expiresS?: number;
  /** The Contact's user (uac_reg's l_uuid). @default the username */
  contactUser?: string;
  /** The answer to requests sent to the contact (INVITEs to the registered device). @default 486 */
  answerStatus?: number;
}

export interface KamailioUacRegistration extends KamailioProcess {
  /** `sip:<contactUser>@127.0.0.1:<port>`: the Contact it registers. */
  contactUri: string;
  /** uac_reg's record: online once the registrar answered 2xx, with its flags for failure messages. */
  state(): Promise<{ online: boolean; flags: number; detail: string }>;
}

/** uac_reg flag bits (uac_reg.c): the record is registered. */
const UAC_REG_ONLINE = 1 << 2;

/**
 * A device (Kamailio's uac module, uac_reg) registering one account to a registrar, with digest when
 * challenged, refreshing before expiry and retrying every 2 s after a failure. Kamailio 5.6's uac reads only
 * the first WWW-Authenticate and speaks only MD5 ("unsupported algorithm" in its log otherwise): the
 * platform's registrar must offer MD5 first (DIGEST_ALGORITHMS=MD5,SHA-256).
 */
export async function startKamailioUacRegistration(
  options: KamailioUacRegistrationOptions,
): Promise<KamailioUacRegistration> {
  const contactUser = options.contactUser ?? options.username;
  const kamailio = await startKamailio(
    (site) => uacConfig(site, options),
    PEER_ARGS,
    () => ({ version: dbTextVersions({ uacreg: 5 }), uacreg: uacregTable(options, contactUser) }),
  );
  return {
    ...kamailio,
    contactUri: `sip:${contactUser}@127.0.0.1:${kamailio.port}`,
    state: async () => {
      const detail = await kamailio.rpc('uac.reg_info', 'l_uuid', contactUser);
      const flags = Number(/flags:\s*(\d+)/.exec(detail)?.[1] ?? 0);
      return { online: (flags & UAC_REG_ONLINE) !== 0, flags, detail };
    },
  };
}

function header(site: KamailioSite, more: { tcp: boolean }): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
listen=udp:127.0.0.1:${site.port}
${more.tcp ? `tcp_children=1\nlisten=tcp:127.0.0.1:${site.port}` : 'disable_tcp=yes'}
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=no
rundir="${site.dir}"
mpath="${site.modules}/"

loadmodule "kex.so"
loadmodule "ctl.so"
loadmodule "pv.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
modparam("ctl", "binrpc", "unix:${site.ctlSocket}")
`;
}

function registrarConfig(site: KamailioSite, o: KamailioRegistrarOptions): string {
  const wrongPassword =
    (o.wrongPasswordStatus ?? 403) === 403
      ? 'sl_send_reply("403", "Forbidden");'
      : 'www_challenge("$td", "1");';
  return `${header(site, { tcp: true })}
loadmodule "db_text.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
modparam("auth", "algorithm", "${o.algorithm}")
modparam("auth", "qop", "auth")
modparam("auth", "secret", "${randomBytes(16).toString('hex')}")
modparam("auth_db", "db_url", "text://${site.dir}")
modparam("auth_db", "calculate_ha1", 1)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "use_domain", 0)
modparam("usrloc", "db_mode", 0)
modparam("usrloc", "timer_interval", 5)
modparam("registrar", "min_expires", ${o.minExpiresS ?? 1})
modparam("registrar", "max_expires", ${o.maxExpiresS ?? 3600})
modparam("pv", "shvset", "refused=i:0")

request_route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (is_method("REGISTER")) {
        if (!www_authorize("$td", "subscriber")) {
            $var(rc) = $rc;
            # -2 wrong password, -3 unknown user; -4 a stale nonce gets a fresh challenge saying so
            if ($var(rc) == -2 || $var(rc) == -3) {
                $shv(refused) = $shv(refused) + 1;
                ${wrongPassword}
                exit;
            }
            if ($var(rc) == -4) {
                www_challenge("$td", "17");
                exit;
            }
            www_challenge("$td", "1");
            exit;
        }
        consume_credentials();
        if (!save("location")) sl_reply_error();
        exit;
    }
    if (has_totag() || is_method("ACK|CANCEL")) {
        if (t_check_trans() || has_totag()) t_relay();
        exit;
    }
    if (!lookup("location")) {
        sl_send_reply("404", "Not Found");
        exit;
    }
    t_relay();
}
`;
}

function gatewayConfig(site: KamailioSite, o: KamailioGatewayOptions): string {
  return `${header(site, { tcp: true })}
modparam("pv", "shvset", "invite=i:0")
modparam("pv", "shvset", "register=i:0")
modparam("pv", "shvset", "options=i:0")

request_route {
    if (is_method("ACK")) exit;
    if (is_method("INVITE")) $shv(invite) = $shv(invite) + 1;
    if (is_method("REGISTER")) $shv(register) = $shv(register) + 1;
    if (is_method("OPTIONS")) $shv(options) = $shv(options) + 1;
    sl_send_reply("${o.status ?? 503}", "${o.reason ?? 'Service Unavailable'}");
}
`;
}

function uacConfig(site: KamailioSite, o: KamailioUacRegistrationOptions): string {
  return `${header(site, { tcp: true })}
loadmodule "rr.so"
loadmodule "db_text.so"
loadmodule "uac.so"
modparam("uac", "restore_mode", "none")
modparam("uac", "reg_db_url", "text://${site.dir}")
modparam("uac", "reg_contact_addr", "127.0.0.1:${site.port}")
modparam("uac", "reg_timer_interval", 1)
modparam("uac", "reg_retry_interval", 2)
modparam("uac", "reg_keep_callid", 1)

request_route {
    if (is_method("ACK")) exit;
    sl_send_reply("${o.answerStatus ?? 486}", "Answered by the uac_reg device");
}
`;
}

/** db_text's `version` table: the schema version each module checks for its tables. */
function dbTextVersions(tables: Record<string, number>): string {
  const rows = Object.entries(tables).map(([name, version]) => `${name}:${version}`);
  return ['table_name(string) table_version(int) ', ...rows, ''].join('\n');
}

/** db_text escapes its column separator `:` (and the backslash) inside values. */
function dbTextValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

function subscriberTable(o: KamailioRegistrarOptions): string {
  const rows = o.users.map(
    (user, index) =>
      `${index + 1}:${dbTextValue(user.username)}:${dbTextValue(o.realm)}:${dbTextValue(user.password)}::`,
  );
  return [
    'id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null) ',
    ...rows,
    '',
  ].join('\n');
}

function uacregTable(o: KamailioUacRegistrationOptions, contactUser: string): string {
  const { host, port, transport = 'udp' } = o.registrar;
  const proxy = `sip:${host}:${port}${transport === 'tcp' ? ';transport=tcp' : ''}`;
  const row = [
    '1',
    contactUser,
    o.username,
    o.domain,
    o.username,
    o.domain,
    o.domain,
    o.username,
    o.password,
    '',
    proxy,
    String(o.expiresS ?? 60),
    '0',
    '0',
    '',
    '',
  ].map((value, index) => (index === 0 ? value : dbTextValue(value)));
  return [
    'id(int,auto) l_uuid(string) l_username(string) l_domain(string) r_username(string) r_domain(string) ' +
      'realm(string) auth_username(string) auth_password(string) auth_ha1(string,null) auth_proxy(string) ' +
      'expires(int) flags(int) reg_delay(int) contact_addr(string,null) socket(string,null) ',
    row.join(':'),
    '',
  ].join('\n');
}

/** `ul.dump`'s tree, flattened to its contacts. */
export function parseLocations(dump: string): KamailioContact[] {
  const contacts: KamailioContact[] = [];
  let aor = '';
  let current: KamailioContact | undefined;
  for (const line of dump.split('\n')) {
    const [, key, value] = /^\s*([A-Za-z-]+):\s*(.*?)\s*$/.exec(line) ?? [];
    if (key === 'AoR') aor = value!;
    else if (key === 'Address')
      contacts.push((current = { aor, address: value!, expiresS: 0, callId: '', cseq: 0 }));
    else if (current && key === 'Expires') current.expiresS = Number(value);
    else if (current && key === 'Call-ID') current.callId = value!;
    else if (current && key === 'CSeq') current.cseq = Number(value);
  }
  return contacts;
}

/** The value of a `pv.shvGet` reply. */
function sharedValue(reply: string): number {
  return Number(/value:\s*(-?\d+)/.exec(reply)?.[1] ?? NaN);
}

/** `stats.get_statistics` lines (`group:name = value`) as a record. */
function parseStatistics(text: string): Record<string, number> {
  const stats: Record<string, number> = {};
  for (const match of text.matchAll(/([\w.-]+:[\w.-]+)\s*=\s*(\d+)/g)) stats[match[1]!] = Number(match[2]);
  return stats;
}
