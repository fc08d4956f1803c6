// The security variables every service reads the same way (README "Securing the API"): NATS credentials
// and TLS, and internal gRPC mTLS. A service spreads the shapes into its schema and turns the parsed values
// into options with the functions below, which reject half-given sets by naming the variables.
import { z } from 'zod';
import { ConfigError } from './load-config.js';

const filePath = () => z.string().startsWith('/', { message: 'expected an absolute path' }).optional();

export const NATS_SECURITY_ENV = {
  /** NATS user and password (both or neither); or NATS_NKEY_SEED_FILE, not both. */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  /** File holding the user's nkey seed (`SU...`); read at each (re)connect, so a rotated Secret is used. */
  NATS_NKEY_SEED_FILE: filePath(),
  /** CA that signed the NATS server's certificate: connect with TLS. */
  NATS_TLS_CA_FILE: filePath(),
  /** Client certificate and key for servers that verify clients (both or neither). */
  NATS_TLS_CERT_FILE: filePath(),
  NATS_TLS_KEY_FILE: filePath(),
};

export const INTERNAL_TLS_ENV = {
  /** Internal gRPC mTLS (all three or none): the platform's internal CA, and this service's pair. */
  INTERNAL_TLS_CA_FILE: filePath(),
  INTERNAL_TLS_CERT_FILE: filePath(),
  INTERNAL_TLS_KEY_FILE: filePath(),
  /**
   * With TLS on this service's gRPC port, also answer grpc.health.v1 alone in plaintext on this port: the
   * kubelet's gRPC probes speak no TLS (the chart sets it whenever TLS is on).
   */
  GRPC_HEALTH_PORT: z.coerce.number().int().min(1).max(65535).optional(),
};

type Values<Shape extends z.ZodRawShape> = { [K in keyof Shape]?: z.infer<Shape[K]> };

/** How a service proves itself to NATS and checks the server. Fields absent: plain and anonymous. */
export interface NatsSecurity {
  user?: string;
  password?: string;
  nkeySeedFile?: string;
  tls?: { caFile: string; certFile?: string; keyFile?: string };
}

/** Internal gRPC mTLS: trust `caFile`, present `certFile`/`keyFile`, on servers and clients alike. */
export interface InternalTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** Variables of one set that must be given together: the problem for each one missing. */
function together(values: Record<string, unknown>, names: readonly string[], rule: string) {
  const given = names.filter((name) => values[name] !== undefined);
  if (given.length === 0 || given.length === names.length) return [];
  return names
    .filter((name) => values[name] === undefined)
    .map((variable) => ({ variable, problem: `required with ${given.join(', ')} (${rule})` }));
}

export function natsSecurityOf(service: string, values: Values<typeof NATS_SECURITY_ENV>): NatsSecurity {
  const issues = [
    ...together(values, ['NATS_USER', 'NATS_PASSWORD'], 'both or neither'),
    ...together(values, ['NATS_TLS_CERT_FILE', 'NATS_TLS_KEY_FILE'], 'both or neither'),
    ...together(values, ['NATS_TLS_CERT_FILE', 'NATS_TLS_CA_FILE'], 'a client certificate needs the CA'),
  ];
  if (values.NATS_USER !== undefined && values.NATS_NKEY_SEED_FILE !== undefined)
    issues.push({
      variable: 'NATS_NKEY_SEED_FILE',
      problem: 'give NATS_USER/NATS_PASSWORD or an nkey, not both',
    });
  if (issues.length > 0) throw new ConfigError(service, issues);
  return {
    ...(values.NATS_USER ? { user: values.NATS_USER, password: values.NATS_PASSWORD } : {}),
    ...(values.NATS_NKEY_SEED_FILE ? { nkeySeedFile: values.NATS_NKEY_SEED_FILE } : {}),
    ...(values.NATS_TLS_CA_FILE
      ? {
          tls: {
            caFile: values.NATS_TLS_CA_FILE,
            ...(values.NATS_TLS_CERT_FILE
              ? { certFile: values.NATS_TLS_CERT_FILE, keyFile: values.NATS_TLS_KEY_FILE }
              : {}),
          },
        }
      : {}),
  };
}

export function internalTlsOf(
  service: string,
  values: Values<typeof INTERNAL_TLS_ENV>,
): InternalTlsFiles | undefined {
  const names = ['INTERNAL_TLS_CA_FILE', 'INTERNAL_TLS_CERT_FILE', 'INTERNAL_TLS_KEY_FILE'];
  const issues = together(values, names, 'all three or none');
  if (issues.length > 0) throw new ConfigError(service, issues);
  const {
    INTERNAL_TLS_CA_FILE: caFile,
    INTERNAL_TLS_CERT_FILE: certFile,
    INTERNAL_TLS_KEY_FILE: keyFile,
  } = values;
  return caFile && certFile && keyFile ? { caFile, certFile, keyFile } : undefined;
}

/** Both sets, for a service that uses NATS and internal gRPC. */
export const SECURITY_ENV = { ...NATS_SECURITY_ENV, ...INTERNAL_TLS_ENV };

export function securityOf(
  service: string,
  values: Values<typeof SECURITY_ENV>,
): { nats: NatsSecurity; internalTls: InternalTlsFiles | undefined } {
  return { nats: natsSecurityOf(service, values), internalTls: internalTlsOf(service, values) };
}
