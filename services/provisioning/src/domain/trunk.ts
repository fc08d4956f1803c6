// A trunk as PutTrunk gives it, checked and filled in (pure). The password stays plain here: the app seals
// it, or keeps the stored one when the request leaves it empty.
import { formatCidr, parseCidr, parseUri } from '@callctl/sip';
import {
  validateNumberPattern,
  type CallerIdView,
  type GatewayView,
  type SipTransportName,
  type TrunkRegistrationView,
  type TrunkView,
} from '@callctl/provisioning';
import { provisioning } from '@callctl/proto';
import { checkDigits, checkHost, checkName, checkRange, invalid, withField } from './fields.js';

export const DEFAULT_REGISTRATION_EXPIRES_S = 3600;
/** Below this a provider is asked to keep the binding too briefly to refresh it calmly. */
export const MIN_REGISTRATION_EXPIRES_S = 60;
const MAX_GATEWAYS = 16;
const MAX_SOURCES = 256;
const MAX_PATTERNS = 256;

export type TrunkDraft = Omit<TrunkView, 'outboundAuth' | 'updatedAtMs'> & {
  /** password: plain, or empty to keep the stored one. */
  outboundAuth?: { username: string; password: string };
};

const TRANSPORTS: Record<number, SipTransportName> = {
  [provisioning.SipTransport.SIP_TRANSPORT_UNSPECIFIED]: 'udp',
  [provisioning.SipTransport.SIP_TRANSPORT_UDP]: 'udp',
  [provisioning.SipTransport.SIP_TRANSPORT_TCP]: 'tcp',
  [provisioning.SipTransport.SIP_TRANSPORT_TLS]: 'tls',
};

export function trunkDraftOf(trunk: provisioning.Trunk | undefined): TrunkDraft {
  if (!trunk) throw invalid('trunk', 'required');
  const name = checkName('trunk.name', trunk.name);
  if (trunk.inboundSources.length > MAX_SOURCES)
    throw invalid('trunk.inbound_sources', `at most ${MAX_SOURCES}`);
  const inboundSources = trunk.inboundSources.map((source, i) =>
    withField(`trunk.inbound_sources[${i}]`, () => formatCidr(parseCidr(source.trim()))),
  );
  if (trunk.gateways.length > MAX_GATEWAYS) throw invalid('trunk.gateways', `at most ${MAX_GATEWAYS}`);
  const gateways = trunk.gateways.map((g, i) => gatewayOf(`trunk.gateways[${i}]`, g));
  if (inboundSources.length === 0 && gateways.length === 0)
    throw invalid('trunk', 'a trunk needs inbound_sources, gateways or both');
  if (trunk.numberPatterns.length > MAX_PATTERNS)
    throw invalid('trunk.number_patterns', `at most ${MAX_PATTERNS}`);
  const numberPatterns = trunk.numberPatterns.map((pattern, i) =>
    withField(`trunk.number_patterns[${i}]`, () => {
      validateNumberPattern(pattern);
      return pattern;
    }),
  );
  if (numberPatterns.length > 0 && gateways.length === 0)
    throw invalid('trunk.number_patterns', 'numbers can be routed only to a trunk with gateways');
  const auth = trunk.outboundAuth;
  if (auth && !auth.username && auth.password)
    throw invalid('trunk.outbound_auth.username', 'required with a password');
  const registration = registrationOf(name, trunk.registration, gateways);
  if (registration && !auth?.username)
    throw invalid('trunk.outbound_auth', 'required when the trunk registers (providers challenge REGISTER)');
  return {
    name,
    inboundSources: [...new Set(inboundSources)],
    gateways,
    ...(auth?.username ? { outboundAuth: { username: auth.username, password: auth.password } } : {}),
    ...(registration ? { registration } : {}),
    numberPatterns: [...new Set(numberPatterns)],
    callerId: callerIdOf(trunk.callerId),
  };
}

function gatewayOf(field: string, g: provisioning.Gateway): GatewayView {
  const transport = TRANSPORTS[g.transport];
  if (!transport) throw invalid(`${field}.transport`, `unknown transport ${g.transport}`);
  return {
    host: checkHost(`${field}.host`, g.host),
    port: g.port === 0 ? (transport === 'tls' ? 5061 : 5060) : checkRange(`${field}.port`, g.port, 1, 65535),
    transport,
    priority: checkRange(`${field}.priority`, g.priority, 0, 65535),
    weight: g.weight === 0 ? 1 : checkRange(`${field}.weight`, g.weight, 1, 65535),
  };
}

function sipUriOf(field: string, text: string, options: { user: boolean }) {
  const uri = withField(field, () => parseUri(text));
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') throw invalid(field, 'expected a sip: or sips: URI');
  if (options.user && !uri.user) throw invalid(field, 'expected sip:user@domain');
  if (!options.user && uri.user) throw invalid(field, 'expected sip:host[:port][;transport=...] (no user)');
  return uri;
}

function registrationOf(
  name: string,
  r: provisioning.TrunkRegistration | undefined,
  gateways: GatewayView[],
): TrunkRegistrationView | undefined {
  if (!r?.enabled) return undefined;
  if (!r.aor) throw invalid('trunk.registration.aor', 'required when registration is enabled');
  sipUriOf('trunk.registration.aor', r.aor, { user: true });
  let registrarUri = r.registrarUri;
  if (registrarUri) sipUriOf('trunk.registration.registrar_uri', registrarUri, { user: false });
  else {
    const first = gateways[0];
    if (!first) throw invalid('trunk.registration.registrar_uri', 'required when the trunk has no gateways');
    const host = first.host.includes(':') ? `[${first.host}]` : first.host;
    registrarUri = `${first.transport === 'tls' ? 'sips' : 'sip'}:${host}:${first.port}${
      first.transport === 'tcp' ? ';transport=tcp' : ''
    }`;
  }
  const contactUser = r.contactUser || name;
  if (!/^[A-Za-z0-9\-_.!~*'()&=+$,;?/]{1,64}$/.test(contactUser))
    throw invalid('trunk.registration.contact_user', `not a SIP user part: ${JSON.stringify(contactUser)}`);
  return {
    registrarUri,
    aor: r.aor,
    expiresS:
      r.expiresS === 0
        ? DEFAULT_REGISTRATION_EXPIRES_S
        : checkRange('trunk.registration.expires_s', r.expiresS, MIN_REGISTRATION_EXPIRES_S, 86_400),
    contactUser,
  };
}

function callerIdOf(rule: provisioning.CallerIdRule | undefined): CallerIdView {
  return {
    fromNumber: rule?.fromNumber
      ? checkDigits('trunk.caller_id.from_number', rule.fromNumber, { plus: true })
      : '',
    fromDomain: rule?.fromDomain ? checkHost('trunk.caller_id.from_domain', rule.fromDomain) : '',
    stripPlus: rule?.stripPlus ?? false,
    prefix: rule?.prefix ? checkDigits('trunk.caller_id.prefix', rule.prefix, { plus: false }) : '',
  };
}
