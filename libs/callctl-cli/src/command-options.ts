// The pieces of the command table that more than one group of commands uses: how an option is described,
// how its value is read, the idempotency key and the paging options.
import { parseCount } from './duration.js';

export interface CommandLineContext {
  /** CALLCTL_SERVER, CALLCTL_ORCHESTRATOR_GRPC_PORT, CALLCTL_TOKEN and the TLS ones are read from it. */
  env: Readonly<Record<string, string | undefined>>;
  /** Makes idempotency keys for requests that need one. */
  newId(): string;
}

export type OptionKind = 'string' | 'boolean';
export interface OptionSpec {
  type: OptionKind;
  /** May be given more than once; the values come as an array, in order. */
  multiple?: boolean;
  /** Placeholder in the help, for string options. */
  value?: string;
  /** A one-letter form, e.g. `o` for `-o`. */
  short?: string;
  help: string;
}
export type Values = Record<string, string | boolean | string[] | undefined>;

/** A string option's value, or undefined when absent. */
export const str = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};
/** A repeated option's values, in order (none: empty). */
export const list = (values: Values, name: string): string[] => {
  const value = values[name];
  return Array.isArray(value) ? value : [];
};

export const KEY_OPTION: OptionSpec = {
  type: 'string',
  value: 'key',
  help: 'idempotency key: repeating it repeats nothing (default: a new UUID)',
};

export const keyOf = (values: Values, context: CommandLineContext) => str(values, 'key') ?? context.newId();

export const PAGE_OPTIONS: Record<string, OptionSpec> = {
  'page-size': { type: 'string', value: 'n', help: 'items per page, 1-500 (default 100)' },
  'page-token': { type: 'string', value: 'token', help: 'the next page, from the previous list' },
};
export const pageOf = (values: Values) => {
  const pageSize = str(values, 'page-size');
  return {
    pageSize: pageSize === undefined ? 0 : parseCount(pageSize, '--page-size', 1, 500),
    pageToken: str(values, 'page-token') ?? '',
  };
};
