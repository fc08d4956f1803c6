import { env, loadConfig, type Environment } from '@callctl/config';
import { parseCidr } from '@callctl/sip';
import { z } from 'zod';
import { DEFAULT_SPAMMER_USER_AGENTS, SPAMMER_ACTIONS } from './engine/spammers.js';

/** The non-empty items of a comma-separated list, trimmed. */
const commaItems = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** `host:port[,host:port...]`, e.g. `127.0.0.1:5060`. */
const hostPortList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) =>
      commaItems(value).map((item) => {
        const colon = item.lastIndexOf(':');
        const host = item.slice(0, colon).replace(/^\[|\]$/g, '');
        const port = Number(item.slice(colon + 1));
        if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
          ctx.addIssue({ code: 'custom', message: `not host:port: ${item}` });
        }
        return { host, port };
      }),
    );

/** A case-insensitive regex; empty: undefined (the check is off). */
const optionalRegex = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      if (value.trim() === '') return undefined;
      try {
        return new RegExp(value, 'i');
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(err as Error).message}` });
        return z.NEVER;
      }
    });

/** Comma-separated IPs or CIDRs (`127.0.0.1/32, 10.0.0.0/8, ::1`). */
const cidrList = z
  .string()
  .default('')
  .transform((value, ctx) =>
    commaItems(value).flatMap((item) => {
      try {
        return [parseCidr(item)];
      } catch {
        ctx.addIssue({ code: 'custom', message: `not an IP address or CIDR: ${item}` });
        return [];
      }
    }),
  );

export function readConfig(environment: Environment) {
  return loadConfig(
    'sip-engine',
    {
      LOG_LEVEL: env.logLevel(),
      /** SIP over UDP listeners. */
      SIP_UDP: hostPortList('127.0.0.1:5060'),
      /** Kernel receive/send buffers of each UDP listener (bytes; capped by net.core.rmem_max/wmem_max). */
      SIP_UDP_RECEIVE_BUFFER: z.coerce
        .number()
        .int()
        .min(0)
        .default(4 * 1024 * 1024),
      SIP_UDP_SEND_BUFFER: z.coerce
        .number()
        .int()
        .min(0)
        .default(4 * 1024 * 1024),
      /** SIP over TCP listeners. */
      SIP_TCP: hostPortList('127.0.0.1:5060'),
      /** SIP over TLS listeners (drachtio's `sips:host:port;transport=tls` contact). Empty: none. */
      SIP_TLS: hostPortList(''),
      /** SIP over WebSocket listeners (RFC 7118), plain: behind an ingress that terminates TLS. Empty: none. */
      SIP_WS: hostPortList(''),
      /** SIP over secure WebSocket listeners (browsers), with the TLS certificate below. Empty: none. */
      SIP_WSS: hostPortList(''),
      /** PEM certificate of the TLS and WSS listeners (drachtio-server's own variable name). */
      DRACHTIO_TLS_CERT_FILE: z.string().default(''),
      /** PEM private key of that certificate. */
      DRACHTIO_TLS_KEY_FILE: z.string().default(''),
      /** PEM intermediate certificates sent after it. Empty: none. */
      DRACHTIO_TLS_CHAIN_FILE: z.string().default(''),
      /** PEM Diffie-Hellman parameters (only DHE ciphers use them). Empty: none. */
      DRACHTIO_TLS_DH_PARAM_FILE: z.string().default(''),
      /** Require and verify a client certificate on accepted TLS connections (drachtio's `1`). */
      DRACHTIO_TLS_VERIFY_CLIENT_CERT: env.flag(false),
      /** Lowest TLS version accepted or offered (drachtio `--min-tls-version`). */
      SIP_TLS_MIN_VERSION: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
      /**
       * Highest TLS version: TLSv1.2 for clients that stumble on TLS 1.3's session tickets after the handshake
       * (sipsak 0.9.8 gives up on its reply). Empty: TLSv1.3.
       */
      SIP_TLS_MAX_VERSION: z.enum(['TLSv1.2', 'TLSv1.3', '']).default(''),
      /** OpenSSL cipher list (drachtio `--tls-cipherlist`). Empty: Node's default. */
      SIP_TLS_CIPHERS: z.string().default(''),
      /** PEM CAs trusted beside the system's: client certificates, and servers the engine connects to. */
      SIP_TLS_CA_FILE: z.string().default(''),
      /** Verify the certificate of a TLS server the engine connects to (name and chain). */
      SIP_TLS_VERIFY_SERVER_CERT: env.flag(true),
      /** Largest SIP message one WebSocket frame may carry; a larger frame closes the connection. */
      SIP_WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(65_536),
      /** DNS servers for RFC 3263 lookups (NAPTR, SRV, A/AAAA), `host:port` list. Empty: /etc/resolv.conf's. */
      SIP_DNS_SERVERS: hostPortList(''),
      /** One DNS query's deadline. */
      SIP_DNS_TIMEOUT_MS: env.durationMs(2000),
      /**
       * Host announced in Via/Contact and to apps when the SIP listeners are bound to a wildcard or behind
       * NAT (drachtio's external IP). Empty: the bound address.
       */
      SIP_ADVERTISED_HOST: z.string().default(''),
      /** Admin (drachtio control protocol) listener for drachtio-srf apps. */
      ADMIN: env.hostPort('127.0.0.1:9022'),
      ADMIN_SECRET: z.string().min(1).default('cymru'),
      /** RFC 3261 timer T1 (RTT estimate). */
      SIP_T1_MS: env.durationMs(500),
      /** RFC 3261 timer T2 (maximum non-INVITE retransmit interval). */
      SIP_T2_MS: env.durationMs(4000),
      /** RFC 3261 timer T4 (maximum message lifetime). */
      SIP_T4_MS: env.durationMs(5000),
      SHUTDOWN_DRAIN_MS: env.durationMs(5000),
      /** Server transactions alive at a time; new requests beyond it get 503 + Retry-After, statelessly. */
      SIP_MAX_SERVER_TRANSACTIONS: z.coerce.number().int().min(1).default(50_000),
      /** Requests handed to apps and not answered yet; beyond it new requests get 503 + Retry-After. */
      SIP_MAX_PENDING_REQUESTS: z.coerce.number().int().min(1).default(10_000),
      /** Dialogs; a new INVITE or SUBSCRIBE beyond it gets 503 + Retry-After. */
      SIP_MAX_DIALOGS: z.coerce.number().int().min(1).default(50_000),
      /** Retry-After (seconds) of those refusals. */
      SIP_RETRY_AFTER_S: z.coerce.number().int().min(0).default(5),
      /** Malformed input: the first message of a quiet period is logged, the rest summed up once per window. */
      SIP_MALFORMED_LOG_INTERVAL_MS: env.durationMs(10_000),
      /** A TCP connection must deliver a whole message within this from its first byte, or it is closed. */
      SIP_TCP_MESSAGE_TIMEOUT_MS: env.durationMs(10_000),
      /** A TCP connection with no traffic for this long is closed. */
      SIP_TCP_IDLE_TIMEOUT_MS: env.durationMs(120_000),
      /** TCP connections accepted from one IP address at a time; the excess is closed at once. */
      SIP_TCP_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(1).default(100),
      /** drachtio `spammers` <header name="User-Agent">: requests whose User-Agent matches are refused. Empty: off. */
      SIP_SPAMMERS_USER_AGENT: optionalRegex(DEFAULT_SPAMMER_USER_AGENTS),
      /** drachtio `spammers` <header name="To">: matched against the To URI's user. Empty: off. */
      SIP_SPAMMERS_TO: optionalRegex(''),
      /** drachtio `spammers` <header name="From">: matched against the From URI's user. Empty: off. */
      SIP_SPAMMERS_FROM: optionalRegex(''),
      /** drachtio `spammers action`: `discard` (silence) or `reject` (403 Forbidden), over UDP. */
      SIP_SPAMMERS_ACTION: z.enum(SPAMMER_ACTIONS).default('discard'),
      /** drachtio `spammers tcp-action`: the same over TCP. Empty: SIP_SPAMMERS_ACTION. */
      SIP_SPAMMERS_TCP_ACTION: z.preprocess(
        (v) => (v === '' ? undefined : v),
        z.enum(SPAMMER_ACTIONS).optional(),
      ),
      /** Flood ban sample window (Kamailio pike sampling_time_unit). */
      SIP_FLOOD_SAMPLE_MS: env.durationMs(2000),
      /** Requests one source may send per sample; the next one bans it (pike reqs_density_per_unit). 0: off. */
      SIP_FLOOD_MAX_REQUESTS: z.coerce.number().int().min(0).default(16),
      /** How long a flooding source stays banned (Kamailio's ipban htable autoexpire). */
      SIP_FLOOD_BAN_MS: env.durationMs(300_000),
      /** Sources never counted nor banned: trusted carriers, load balancers, the tests' 127.0.0.1. */
      SIP_FLOOD_EXEMPT_CIDRS: cidrList,
    },
    environment,
  );
}

export type SipEngineConfig = ReturnType<typeof readConfig>;
