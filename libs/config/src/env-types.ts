import { z } from 'zod';

/** Building blocks for service config schemas, so that every service reads ports and URLs the same way. */
export const env = {
  port: (fallback?: number) => {
    const base = z.coerce
      .number({ message: 'expected a port number' })
      .int({ message: 'expected a port number' })
      .min(0, { message: 'expected a port number 0-65535' })
      .max(65535, { message: 'expected a port number 0-65535' });
    return fallback === undefined ? base : base.default(fallback);
  },
  host: (fallback?: string) =>
    fallback === undefined ? z.string().min(1) : z.string().min(1).default(fallback),
  url: (protocols: readonly string[], fallback?: string) => {
    const base = z.string().refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      { message: `expected a URL (${protocols.map((p) => `${p}://`).join(' or ')})` },
    );
    return fallback === undefined ? base : base.default(fallback);
  },
  durationMs: (fallback: number) =>
    z.coerce
      .number({ message: 'expected milliseconds' })
      .int()
      .positive({ message: 'expected milliseconds > 0' })
      .default(fallback),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  flag: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  /** host:port, e.g. 127.0.0.1:22222 */
  hostPort: (fallback?: string) => {
    const text = z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, { message: 'expected host:port' });
    return (fallback === undefined ? text : text.default(fallback)).transform((v) => {
      const i = v.lastIndexOf(':');
      return { host: v.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(v.slice(i + 1)) };
    });
  },
  /**
   * ADVERTISE_GRPC: host:port at which peers reach this instance's gRPC, kept as text (it is announced as
   * it is). Unset: 127.0.0.1 and the port the server bound.
   */
  advertisedAddress: () =>
    z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, { message: 'expected host:port' })
      .optional(),
} as const;
