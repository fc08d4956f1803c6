export { loadConfig, ConfigError, type Environment } from './load-config.js';
export { env } from './env-types.js';
