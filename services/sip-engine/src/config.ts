import { env, loadConfig, type Environment } from '@callctl/config';
import { z } from 'zod';

/** `host:port[,host:port...]`, e.g. `127.0.0.1:5060`. */
const hostPortList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0)
        .map((item) => {
          const colon = item.lastIndexOf(':');
          const host = item.slice(0, colon).replace(/^\[|\]$/g, '');
          const port = Number(item.slice(colon + 1));
          if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
            ctx.addIssue({ code: 'custom', message: `not host:port: ${item}` });
          }
          return { host, port };
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
    },
    environment,
  );
}

export type SipEngineConfig = ReturnType<typeof readConfig>;
