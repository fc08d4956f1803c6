// The provisioning commands (`trunk`, `domain`, `user`, `route`, `resources`, `audit`, `registrations`):
// callctl.v1.Provisioning, served by the provisioning service on its own address (--provisioning-address,
// else CALLCTL_PROVISIONING_ADDRESS, else 127.0.0.1:$CALLCTL_PROVISIONING_GRPC_PORT or 50059). What the
// command line can check (CIDRs, number patterns, ports, user@domain) is checked here, before any request.
import type { ProvisioningMethod, ProvisioningRequestOf } from '@callctl/client';
import { provisioning } from '@callctl/proto';
import { validateNumberPattern } from '@callctl/provisioning';
import { parseCidr } from '@callctl/sip';
import { list, str, type CommandLineContext, type OptionSpec, type Values } from './command-options.js';
import type { CommandSpec } from './commands.js';
import { parseCount } from './duration.js';
import { UsageError } from './usage-error.js';

/** The provisioning service's gRPC port in deploy/local/ports.env (CALLCTL_PROVISIONING_GRPC_PORT). */
export const DEFAULT_PROVISIONING_PORT = 50059;

/** One unary RPC of callctl.v1.Provisioning with its request. */
export type ProvisioningCall = {
  [M in ProvisioningMethod]: { method: M; request: ProvisioningRequestOf<M> };
}[ProvisioningMethod];

export type ProvisioningInvocation = { kind: 'provisioning'; address: string } & ProvisioningCall;

const ADDRESS_OPTION: OptionSpec = {
  type: 'string',
  value: 'host:port',
  help: `the provisioning service (env CALLCTL_PROVISIONING_ADDRESS; default 127.0.0.1:${DEFAULT_PROVISIONING_PORT})`,
};

function addressOf(values: Values, env: CommandLineContext['env']): string {
  return (
    str(values, 'provisioning-address') ??
    (env.CALLCTL_PROVISIONING_ADDRESS ||
      `127.0.0.1:${env.CALLCTL_PROVISIONING_GRPC_PORT || DEFAULT_PROVISIONING_PORT}`)
  );
}

function provisioningCommand(
  spec: Omit<CommandSpec, 'build'> & { call(args: string[], values: Values): ProvisioningCall },
): CommandSpec {
  return {
    args: spec.args,
    summary: spec.summary,
    options: { 'provisioning-address': ADDRESS_OPTION, ...spec.options },
    build: (args, values, context) => ({
      kind: 'provisioning',
      address: addressOf(values, context.env),
      ...spec.call(args, values),
    }),
  };
}

/** Runs a check of the shared model and turns its refusal into a usage error naming the option. */
function checked(what: string, text: string, check: (text: string) => unknown): string {
  try {
    check(text);
    return text;
  } catch (error) {
    throw new UsageError(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const TRANSPORTS: Record<string, provisioning.SipTransport> = {
  udp: provisioning.SipTransport.SIP_TRANSPORT_UDP,
  tcp: provisioning.SipTransport.SIP_TRANSPORT_TCP,
  tls: provisioning.SipTransport.SIP_TRANSPORT_TLS,
};

/** `host[:port][;transport=udp|tcp|tls][;priority=n][;weight=n]`, IPv6 in brackets. */
export function parseGateway(text: string): provisioning.Gateway {
  const [hostPort = '', ...params] = text.split(';');
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::(\d+))?$/.exec(hostPort);
  if (!match)
    throw new UsageError(
      `--gateway: expected host[:port][;transport=udp|tcp|tls][;priority=n][;weight=n] (got "${text}")`,
    );
  const gateway: provisioning.Gateway = {
    host: match[1]!.replace(/^\[|\]$/g, ''),
    port: match[2] ? parseCount(match[2], '--gateway port', 1, 65535) : 0,
    transport: provisioning.SipTransport.SIP_TRANSPORT_UNSPECIFIED,
    priority: 0,
    weight: 0,
  };
  for (const param of params) {
    const [name, value = ''] = param.split('=', 2);
    if (name === 'transport' && TRANSPORTS[value.toLowerCase()] !== undefined)
      gateway.transport = TRANSPORTS[value.toLowerCase()]!;
    else if (name === 'priority') gateway.priority = parseCount(value, '--gateway priority', 0, 65535);
    else if (name === 'weight') gateway.weight = parseCount(value, '--gateway weight', 1, 65535);
    else throw new UsageError(`--gateway: unknown parameter "${param}" (transport, priority or weight)`);
  }
  return gateway;
}

/** `user@domain`. */
export function parseUserAtDomain(text: string, what: string): { username: string; domain: string } {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1)
    throw new UsageError(`${what}: expected user@domain (got "${text}")`);
  return { username: text.slice(0, at), domain: text.slice(at + 1) };
}

const optional = (values: Values, name: string, what = `--${name}`, max = 65535) => {
  const text = str(values, name);
  return text === undefined ? 0 : parseCount(text, what, 0, max);
};

const TRUNK_OPTIONS: Record<string, OptionSpec> = {
  source: {
    type: 'string',
    multiple: true,
    value: 'ip|cidr',
    help: "an address whose INVITEs are this trunk's",
  },
  gateway: {
    type: 'string',
    multiple: true,
    value: 'host[:port][;transport=t][;priority=n][;weight=n]',
    help: "a carrier's SIP server outbound calls go to",
  },
  number: {
    type: 'string',
    multiple: true,
    value: 'pattern',
    help: 'numbers routed here: +4420*, +44207..., *',
  },
  username: { type: 'string', value: 'name', help: "digest user answering the carrier's 401/407" },
  password: { type: 'string', value: 'secret', help: 'digest password (kept when a replacement omits it)' },
  register: { type: 'boolean', help: 'register to the provider (needs --aor and --username)' },
  aor: { type: 'string', value: 'sip:user@domain', help: 'the address-of-record registered' },
  registrar: {
    type: 'string',
    value: 'sip:host[:port]',
    help: "the provider's registrar (default the first gateway)",
  },
  expires: { type: 'string', value: 's', help: 'requested registration expiry (default 3600)' },
  'contact-user': {
    type: 'string',
    value: 'user',
    help: "the Contact's user part (default the trunk's name)",
  },
  'from-number': { type: 'string', value: 'number', help: 'caller id presented through the trunk' },
  'from-domain': { type: 'string', value: 'host', help: 'From host (default the gateway)' },
  'strip-plus': { type: 'boolean', help: 'send national digits: strip a leading +' },
  prefix: {
    type: 'string',
    value: 'digits',
    help: "prepend to the dialled number (a carrier's tech prefix)",
  },
};

function trunkOf(name: string, values: Values): provisioning.DeepPartial<provisioning.Trunk> {
  const register = values.register === true;
  const aor = str(values, 'aor');
  if (register && !aor) throw new UsageError('--register needs --aor sip:user@provider-domain');
  if (register && !str(values, 'username'))
    throw new UsageError('--register needs --username (and --password)');
  const sources = list(values, 'source').map((s) => checked('--source', s, parseCidr));
  const gateways = list(values, 'gateway').map(parseGateway);
  if (sources.length === 0 && gateways.length === 0)
    throw new UsageError('a trunk needs --source, --gateway or both');
  return {
    name,
    inboundSources: sources,
    gateways,
    numberPatterns: list(values, 'number').map((p) => checked('--number', p, validateNumberPattern)),
    ...(str(values, 'username')
      ? { outboundAuth: { username: str(values, 'username')!, password: str(values, 'password') ?? '' } }
      : {}),
    registration: {
      enabled: register,
      aor: aor ?? '',
      registrarUri: str(values, 'registrar') ?? '',
      expiresS: optional(values, 'expires', '--expires', 86_400),
      contactUser: str(values, 'contact-user') ?? '',
    },
    callerId: {
      fromNumber: str(values, 'from-number') ?? '',
      fromDomain: str(values, 'from-domain') ?? '',
      stripPlus: values['strip-plus'] === true,
      prefix: str(values, 'prefix') ?? '',
    },
  };
}

const NAME = /^[a-z0-9-]{1,63}$/;
const nameOf = (text: string, what: string) => {
  if (!NAME.test(text))
    throw new UsageError(`${what}: expected 1-63 lower-case letters, digits or - (got "${text}")`);
  return text;
};

export const PROVISIONING_COMMANDS: Record<string, CommandSpec> = {
  'trunk put': provisioningCommand({
    args: ['name'],
    summary: 'create or replace a carrier trunk (inbound sources, gateways, credentials, registration)',
    options: TRUNK_OPTIONS,
    call: ([name], values) => ({
      method: 'putTrunk',
      request: { trunk: trunkOf(nameOf(name!, 'name'), values) },
    }),
  }),
  'trunk get': provisioningCommand({
    args: ['name'],
    summary: 'show a trunk with its registration status',
    options: {},
    call: ([name]) => ({ method: 'getTrunk', request: { name: name! } }),
  }),
  'trunk list': provisioningCommand({
    args: [],
    summary: 'list the trunks',
    options: {},
    call: () => ({ method: 'listTrunks', request: {} }),
  }),
  'trunk delete': provisioningCommand({
    args: ['name'],
    summary: 'delete a trunk no route uses',
    options: {},
    call: ([name]) => ({ method: 'deleteTrunk', request: { name: name! } }),
  }),
  'domain put': provisioningCommand({
    args: ['name'],
    summary: 'serve a SIP domain (the realm its users register under)',
    options: {},
    call: ([name]) => ({ method: 'putDomain', request: { domain: { name: name! } } }),
  }),
  'domain list': provisioningCommand({
    args: [],
    summary: 'list the domains',
    options: {},
    call: () => ({ method: 'listDomains', request: {} }),
  }),
  'domain delete': provisioningCommand({
    args: ['name'],
    summary: 'delete a domain without users',
    options: {},
    call: ([name]) => ({ method: 'deleteDomain', request: { name: name! } }),
  }),
  'user put': provisioningCommand({
    args: ['user@domain'],
    summary: 'create or replace a device user (the password is kept only as digest hashes)',
    options: {
      password: { type: 'string', value: 'secret', help: '8-128 characters; required for a new user' },
      'display-name': { type: 'string', value: 'text', help: 'shown as the caller name' },
      codec: {
        type: 'string',
        multiple: true,
        value: 'name',
        help: "a codec the device may use (default the platform's)",
      },
    },
    call: ([aor], values) => {
      const password = str(values, 'password') ?? '';
      if (password && (password.length < 8 || password.length > 128))
        throw new UsageError('--password: expected 8-128 characters');
      return {
        method: 'putUser',
        request: {
          user: {
            ...parseUserAtDomain(aor!, 'user@domain'),
            password,
            displayName: str(values, 'display-name') ?? '',
            allowedCodecs: list(values, 'codec'),
          },
        },
      };
    },
  }),
  'user get': provisioningCommand({
    args: ['user@domain'],
    summary: 'show a user',
    options: {},
    call: ([aor]) => ({ method: 'getUser', request: parseUserAtDomain(aor!, 'user@domain') }),
  }),
  'user list': provisioningCommand({
    args: ['[domain]'],
    summary: "list users (one domain's with a domain)",
    options: {},
    call: ([domain]) => ({ method: 'listUsers', request: { domain: domain ?? '' } }),
  }),
  'user delete': provisioningCommand({
    args: ['user@domain'],
    summary: 'delete a user',
    options: {},
    call: ([aor]) => ({ method: 'deleteUser', request: parseUserAtDomain(aor!, 'user@domain') }),
  }),
  'route put': provisioningCommand({
    args: ['name', 'pattern', 'trunk'],
    summary: 'route numbers matching a pattern (+4420*, an exact number, *) out through a trunk',
    options: {
      priority: { type: 'string', value: 'n', help: 'lower wins among patterns of one length (default 0)' },
    },
    call: ([name, pattern, trunk], values) => ({
      method: 'putRoute',
      request: {
        route: {
          name: nameOf(name!, 'name'),
          pattern: checked('pattern', pattern!, validateNumberPattern),
          trunk: nameOf(trunk!, 'trunk'),
          priority: optional(values, 'priority'),
        },
      },
    }),
  }),
  'route list': provisioningCommand({
    args: [],
    summary: 'list the dial plan',
    options: {},
    call: () => ({ method: 'listRoutes', request: {} }),
  }),
  'route delete': provisioningCommand({
    args: ['name'],
    summary: 'delete a route',
    options: {},
    call: ([name]) => ({ method: 'deleteRoute', request: { name: name! } }),
  }),
  'route resolve': provisioningCommand({
    args: ['target'],
    summary: 'where a number, tel: URI or user@domain would be routed now, without calling',
    options: {},
    call: ([target]) => ({ method: 'resolveRoute', request: { target: target! } }),
  }),
  resources: provisioningCommand({
    args: [],
    summary: 'the SIP and media addresses a carrier must allowlist (live instances)',
    options: {},
    call: () => ({ method: 'getMediaResources', request: {} }),
  }),
  audit: provisioningCommand({
    args: [],
    summary: 'who changed what in the provisioning model, newest first',
    options: {
      kind: { type: 'string', value: 'kind', help: 'trunk, domain, user or route' },
      key: { type: 'string', value: 'name', help: "one entity's changes (a user: user@domain)" },
      limit: { type: 'string', value: 'n', help: 'entries, 1-1000 (default 100)' },
      before: { type: 'string', value: 'id', help: 'entries older than this id (paging)' },
    },
    call: (_args, values) => {
      const kind = str(values, 'kind') ?? '';
      if (kind && !['trunk', 'domain', 'user', 'route'].includes(kind))
        throw new UsageError(`--kind: expected trunk, domain, user or route (got "${kind}")`);
      return {
        method: 'listAudit',
        request: {
          kind,
          key: str(values, 'key') ?? '',
          limit:
            str(values, 'limit') === undefined ? 0 : parseCount(str(values, 'limit')!, '--limit', 1, 1000),
          beforeId:
            str(values, 'before') === undefined
              ? 0
              : parseCount(str(values, 'before')!, '--before', 1, Number.MAX_SAFE_INTEGER),
        },
      };
    },
  }),
  registrations: provisioningCommand({
    args: ['user@domain'],
    summary: "a user's registered contacts (the registrar's bindings)",
    options: {},
    call: ([aor]) => ({ method: 'listRegistrations', request: parseUserAtDomain(aor!, 'user@domain') }),
  }),
};
