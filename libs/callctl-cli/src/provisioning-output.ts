// What the provisioning commands print: one line per trunk, domain, user, route, binding, address or audit
// entry; --json gives the response in the proto3 JSON mapping.
import { provisioning } from '@callctl/proto';
import type { ProvisioningCall } from './provisioning-commands.js';
import { enumWord } from './event-line.js';
import { at } from './output.js';

type Method = ProvisioningCall['method'];

const RESPONSE_TYPES: Record<Method, { toJSON(message: never): unknown }> = {
  putTrunk: provisioning.PutTrunkResponse,
  getTrunk: provisioning.GetTrunkResponse,
  listTrunks: provisioning.ListTrunksResponse,
  deleteTrunk: provisioning.DeleteTrunkResponse,
  putDomain: provisioning.PutDomainResponse,
  listDomains: provisioning.ListDomainsResponse,
  deleteDomain: provisioning.DeleteDomainResponse,
  putUser: provisioning.PutUserResponse,
  getUser: provisioning.GetUserResponse,
  listUsers: provisioning.ListUsersResponse,
  deleteUser: provisioning.DeleteUserResponse,
  putRoute: provisioning.PutRouteResponse,
  listRoutes: provisioning.ListRoutesResponse,
  deleteRoute: provisioning.DeleteRouteResponse,
  resolveRoute: provisioning.ResolveRouteResponse,
  listAudit: provisioning.ListAuditResponse,
  listRegistrations: provisioning.ListRegistrationsResponse,
  getMediaResources: provisioning.GetMediaResourcesResponse,
};

export function provisioningResponseJson(method: Method, response: unknown): string {
  return JSON.stringify(RESPONSE_TYPES[method].toJSON(response as never));
}

const transportWord = (t: provisioning.SipTransport) =>
  t === provisioning.SipTransport.SIP_TRANSPORT_UNSPECIFIED
    ? 'udp'
    : enumWord(provisioning.sipTransportToJSON(t), 'SIP_TRANSPORT_');
const hostPort = (host: string, port: number) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

export const gatewayText = (g: provisioning.Gateway) =>
  `${hostPort(g.host, g.port)};transport=${transportWord(g.transport)};priority=${g.priority};weight=${g.weight}`;

/** `trunk carrier-a sources=192.0.2.10/32 gateways=gw:5060;transport=udp;... auth=acct numbers=+4420* registration=registered`. */
export function trunkText(t: provisioning.Trunk): string {
  const status = t.registrationStatus;
  return [
    `trunk ${t.name}`,
    `sources=${t.inboundSources.join(',') || '-'}`,
    `gateways=${t.gateways.map(gatewayText).join(',') || '-'}`,
    ...(t.outboundAuth?.username ? [`auth=${t.outboundAuth.username}`] : []),
    ...(t.numberPatterns.length ? [`numbers=${t.numberPatterns.join(',')}`] : []),
    ...(t.registration?.enabled
      ? [`register=${t.registration.aor}`, `registrar=${t.registration.registrarUri}`]
      : []),
    ...(status
      ? [
          `registration=${enumWord(provisioning.registrationStateToJSON(status.state), 'REGISTRATION_STATE_')}`,
          ...(status.lastStatus ? [`last=${status.lastStatus} ${JSON.stringify(status.lastReason)}`] : []),
          ...(status.expiresAt ? [`expires=${at(status.expiresAt)}`] : []),
          ...(status.nextAttemptAt ? [`next-attempt=${at(status.nextAttemptAt)}`] : []),
          ...(status.instance ? [`instance=${status.instance}`] : []),
        ]
      : []),
  ].join(' ');
}

export const userText = (u: provisioning.User) =>
  [
    `user ${u.username}@${u.domain}`,
    ...(u.displayName ? [`name=${JSON.stringify(u.displayName)}`] : []),
    `codecs=${u.allowedCodecs.join(',') || 'platform'}`,
  ].join(' ');

export const routeText = (r: provisioning.Route) =>
  `route ${r.name} ${r.pattern} -> ${r.trunk} priority=${r.priority}`;

export const bindingText = (b: provisioning.Binding) =>
  [
    `${b.aor} ${b.contactUri}`,
    `via=${b.transport}:${hostPort(b.sourceAddress, b.sourcePort)}`,
    `expires=${at(b.expiresAt)}`,
    `instance=${b.instance}`,
    ...(b.userAgent ? [`ua=${JSON.stringify(b.userAgent)}`] : []),
  ].join(' ');

const auditText = (e: provisioning.AuditEntry) =>
  `#${e.id} ${at(e.at)} ${e.actor} ${e.action} ${e.kind} ${e.key}${e.afterJson ? ` ${e.afterJson}` : ''}`;

function resolvedText(r: provisioning.ResolveRouteResponse): string {
  const { ResolveRouteResponse_Kind: Kind } = provisioning;
  switch (r.kind) {
    case Kind.KIND_TRUNK:
      return [
        `trunk ${r.trunk} route=${r.route} request-uri=${r.requestUri}`,
        ...r.gateways.map((g, i) => `  ${i + 1}. ${gatewayText(g)}`),
      ].join('\n');
    case Kind.KIND_USER:
      return [
        `user ${r.requestUri} contacts=${r.contacts.length}`,
        ...r.contacts.map((b) => `  ${bindingText(b)}`),
      ].join('\n');
    default:
      return `direct ${r.requestUri}`;
  }
}

const lines = (items: string[], none: string) => (items.length ? items.join('\n') : none);
const created = (yes: boolean) => (yes ? 'created' : 'replaced');

export function provisioningResponseText(method: Method, response: unknown): string {
  switch (method) {
    case 'putTrunk': {
      const r = response as provisioning.PutTrunkResponse;
      return `${created(r.created)} ${trunkText(r.trunk!)}`;
    }
    case 'getTrunk':
      return trunkText((response as provisioning.GetTrunkResponse).trunk!);
    case 'listTrunks':
      return lines((response as provisioning.ListTrunksResponse).trunks.map(trunkText), 'no trunks');
    case 'putDomain': {
      const r = response as provisioning.PutDomainResponse;
      return `${created(r.created)} domain ${r.domain!.name}`;
    }
    case 'listDomains':
      return lines(
        (response as provisioning.ListDomainsResponse).domains.map((d) => `domain ${d.name}`),
        'no domains',
      );
    case 'putUser': {
      const r = response as provisioning.PutUserResponse;
      return `${created(r.created)} ${userText(r.user!)}`;
    }
    case 'getUser':
      return userText((response as provisioning.GetUserResponse).user!);
    case 'listUsers':
      return lines((response as provisioning.ListUsersResponse).users.map(userText), 'no users');
    case 'putRoute': {
      const r = response as provisioning.PutRouteResponse;
      return `${created(r.created)} ${routeText(r.route!)}`;
    }
    case 'listRoutes':
      return lines((response as provisioning.ListRoutesResponse).routes.map(routeText), 'no routes');
    case 'resolveRoute':
      return resolvedText(response as provisioning.ResolveRouteResponse);
    case 'listAudit':
      return lines((response as provisioning.ListAuditResponse).entries.map(auditText), 'no changes');
    case 'listRegistrations':
      return lines(
        (response as provisioning.ListRegistrationsResponse).bindings.map(bindingText),
        'not registered',
      );
    case 'getMediaResources': {
      const r = response as provisioning.GetMediaResourcesResponse;
      return (
        [
          ...r.signalling.map(
            (s) => `sip ${transportWord(s.transport)} ${hostPort(s.host, s.port)} instance=${s.instance}`,
          ),
          ...r.media.map((m) => `rtp ${m.address} ports=${m.portMin}-${m.portMax} instance=${m.instance}`),
        ].join('\n') || 'no live instances announce resources'
      );
    }
    case 'deleteTrunk':
    case 'deleteDomain':
    case 'deleteUser':
    case 'deleteRoute':
      return 'deleted';
  }
}
