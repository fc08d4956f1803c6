// Who is calling in (pure): a provisioned trunk (by source address, or by the Request-URI user a
// registering trunk gave the provider as its contact), a device of a platform domain (authenticated next,
// with 407), a source of the static allowlist (INBOUND_ALLOW_CIDRS: a lab, a fronting SBC), or nobody we
// take calls from (INBOUND_REJECT_STATUS). Then, for a device, where the dial plan sends its call.
import {
  classifyTarget,
  routeTarget,
  trunkOfContactUser,
  trunkOfSource,
  type ProvisioningSnapshot,
} from '@callctl/provisioning';
import { cidrContains, parseCidr, parseUri, type Cidr } from '@callctl/sip';

export type InboundCaller =
  | { kind: 'trunk'; trunk: string }
  | { kind: 'device'; domain: string }
  | { kind: 'allowed' }
  | { kind: 'refused' };

export interface InboundInput {
  snapshot: ProvisioningSnapshot;
  /** Lower-cased. */
  platformDomains: ReadonlySet<string>;
  sourceAddress: string;
  requestUri: string;
  fromUri: string;
  toUri: string;
  allowCidrs: readonly Cidr[];
}

/** INBOUND_ALLOW_CIDRS: comma-separated IPs or CIDRs (throws naming the bad entry). */
export function parseAllowCidrs(text: string): Cidr[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => parseCidr(entry));
}

function uriPart(uri: string, part: 'user' | 'host'): string | undefined {
  try {
    const parsed = parseUri(uri);
    return part === 'user' ? parsed.user : parsed.host.toLowerCase();
  } catch {
    return undefined;
  }
}

export function classifyInbound(input: InboundInput): InboundCaller {
  const bySource = trunkOfSource(input.snapshot, input.sourceAddress);
  if (bySource) return { kind: 'trunk', trunk: bySource.name };
  const requestUser = uriPart(input.requestUri, 'user');
  const byContact = requestUser ? trunkOfContactUser(input.snapshot, requestUser) : undefined;
  if (byContact) return { kind: 'trunk', trunk: byContact.name };
  for (const uri of [input.fromUri, input.toUri]) {
    const host = uriPart(uri, 'host');
    if (host && input.platformDomains.has(host)) return { kind: 'device', domain: host };
  }
  if (input.allowCidrs.some((cidr) => cidrContains(cidr, input.sourceAddress))) return { kind: 'allowed' };
  return { kind: 'refused' };
}

export type DeviceRoute = { kind: 'routed'; routedTo: string } | { kind: 'none'; reason: string };

/**
 * Where an authenticated device's call goes, as a target CreateCall/Dial accepts: another user's AOR, or a
 * number (which the dial plan sends to a trunk when dialled). A SIP URI outside the platform's domains has
 * no route: a phone's credentials must not turn the platform into an open relay to any SIP address (an
 * application may still dial one for it, with DEVICE_CALL_ROUTING=app).
 */
export function routeDeviceCall(
  snapshot: ProvisioningSnapshot,
  platformDomains: ReadonlySet<string>,
  requestUri: string,
  fromUri: string,
  random: () => number,
): DeviceRoute {
  let target;
  try {
    target = classifyTarget(requestUri, platformDomains);
  } catch (error) {
    return { kind: 'none', reason: (error as Error).message };
  }
  const decision = routeTarget(snapshot, target, fromUri, random);
  switch (decision.kind) {
    case 'user':
      return { kind: 'routed', routedTo: decision.aor };
    case 'trunk':
      return { kind: 'routed', routedTo: target.kind === 'number' ? target.number : requestUri };
    case 'direct':
      return { kind: 'none', reason: `${decision.uri} is outside the platform's domains` };
    case 'none':
      return { kind: 'none', reason: decision.reason };
  }
}
