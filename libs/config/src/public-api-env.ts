// The security of a public gRPC port (README "Securing the API"): TLS with optional client certificates,
// and bearer tokens with scopes. Every service that serves a public API (CallControl, Callback) reads the
// same variables the same way, so one Secret and one set of flags secure them all.
import { z } from 'zod';
import { env } from './env-types.js';
import { ConfigError } from './load-config.js';

export const API_AUTH_MODES = ['none', 'token'] as const;
export type ApiAuthMode = (typeof API_AUTH_MODES)[number];

const absolutePath = () => z.string().startsWith('/', { message: 'expected an absolute path' }).optional();

export const PUBLIC_API_ENV = {
  /** TLS on the public port (both or neither), and client certificates required when a CA is given. */
  GRPC_TLS_CERT_FILE: absolutePath(),
  GRPC_TLS_KEY_FILE: absolutePath(),
  GRPC_TLS_CLIENT_CA_FILE: absolutePath(),
  /** token: every call but health needs credentials from API_TOKENS_FILE with its method's scope. */
  API_AUTH: z.enum(API_AUTH_MODES).default('none'),
  API_TOKENS_FILE: absolutePath(),
  /** API_AUTH=none on an address other than loopback is refused unless this says it is meant. */
  API_ALLOW_UNAUTHENTICATED: env.flag(false),
};

/** The parsed values publicApiSecurityOf reads (GRPC_HOST is the service's own bind address). */
export interface PublicApiValues {
  GRPC_HOST: string;
  GRPC_TLS_CERT_FILE?: string | undefined;
  GRPC_TLS_KEY_FILE?: string | undefined;
  GRPC_TLS_CLIENT_CA_FILE?: string | undefined;
  API_AUTH: ApiAuthMode;
  API_TOKENS_FILE?: string | undefined;
  API_ALLOW_UNAUTHENTICATED: boolean;
}

/** TLS files of a public port (libs/service ServerTlsFiles). */
export interface PublicTlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
}

export interface PublicApiSecurity {
  publicTls: PublicTlsFiles | undefined;
  /** The credentials file when API_AUTH=token. */
  apiTokensFile: string | undefined;
}

export function publicApiSecurityOf(service: string, config: PublicApiValues): PublicApiSecurity {
  return { publicTls: publicTlsOf(service, config), apiTokensFile: apiTokensFileOf(service, config) };
}

function publicTlsOf(service: string, config: PublicApiValues): PublicTlsFiles | undefined {
  const {
    GRPC_TLS_CERT_FILE: certFile,
    GRPC_TLS_KEY_FILE: keyFile,
    GRPC_TLS_CLIENT_CA_FILE: clientCaFile,
  } = config;
  if (!certFile !== !keyFile)
    throw new ConfigError(service, [
      {
        variable: certFile ? 'GRPC_TLS_KEY_FILE' : 'GRPC_TLS_CERT_FILE',
        problem: 'required with the other GRPC_TLS_ file (both or neither)',
      },
    ]);
  if (clientCaFile && !certFile)
    throw new ConfigError(service, [
      { variable: 'GRPC_TLS_CLIENT_CA_FILE', problem: 'needs GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE' },
    ]);
  return certFile && keyFile ? { certFile, keyFile, ...(clientCaFile ? { clientCaFile } : {}) } : undefined;
}

/**
 * A public port open to the network without authentication is refused: with API_AUTH=none the API is
 * served on loopback only, or behind client certificates, unless API_ALLOW_UNAUTHENTICATED says that
 * something else (a mesh, a firewall) guards it.
 */
function apiTokensFileOf(service: string, config: PublicApiValues): string | undefined {
  if (config.API_AUTH === 'token') {
    if (!config.API_TOKENS_FILE)
      throw new ConfigError(service, [
        { variable: 'API_TOKENS_FILE', problem: 'required with API_AUTH=token' },
      ]);
    return config.API_TOKENS_FILE;
  }
  if (!isLoopback(config.GRPC_HOST) && !config.GRPC_TLS_CLIENT_CA_FILE && !config.API_ALLOW_UNAUTHENTICATED)
    throw new ConfigError(service, [
      {
        variable: 'API_AUTH',
        problem: `none would serve the API to anyone who reaches GRPC_HOST=${config.GRPC_HOST}; set API_AUTH=token with API_TOKENS_FILE, require client certificates (GRPC_TLS_CLIENT_CA_FILE), or set API_ALLOW_UNAUTHENTICATED=true`,
      },
    ]);
  return undefined;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
