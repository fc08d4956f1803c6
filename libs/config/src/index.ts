export { loadConfig, ConfigError, type Environment } from './load-config.js';
export { env } from './env-types.js';
export {
  INTERNAL_TLS_ENV,
  NATS_SECURITY_ENV,
  internalTlsOf,
  natsSecurityOf,
  SECURITY_ENV,
  securityOf,
  type InternalTlsFiles,
  type NatsSecurity,
} from './security-env.js';
export {
  API_AUTH_MODES,
  PUBLIC_API_ENV,
  isLoopback,
  publicApiSecurityOf,
  type ApiAuthMode,
  type PublicApiSecurity,
  type PublicApiValues,
  type PublicTlsFiles,
} from './public-api-env.js';
