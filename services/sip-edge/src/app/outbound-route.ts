// The dial plan as PlaceCall sees it: the live provisioning view (CALLCTL_PROVISIONING, watched by every
// sip-edge), the registrar's bindings, and what trunk attempts need (the key opening sealed passwords, the
// per-gateway timeout).
import { classifyTarget, routeTarget, type BindingStore, type ProvisioningView } from '@callctl/provisioning';
import { checkDialUri } from '../domain/dial-target.js';
import { ValidationError, type LegErrorContext } from '../domain/errors.js';
import { outboundTargetOf, type OutboundTarget } from '../domain/outbound-target.js';

export interface OutboundRouting {
  provisioning: ProvisioningView;
  bindings: BindingStore;
  /** Opens trunks' sealed outbound passwords (PROVISIONING_SECRETS_KEY); undefined: no challenge answered. */
  secretsKey?: Buffer;
  /** An attempt to a gateway with no final response and no ringing within this long fails over. */
  gatewayAttemptTimeoutMs: number;
  /** Weighted choice among gateways of one priority. */
  random(): number;
  nowMs(): number;
}

/**
 * Where PlaceCall's to_uri goes. Without routing (no provisioning view wired) every target is a SIP URI
 * called as given, as before the dial plan existed; with it, numbers and platform users are routed and any
 * other SIP URI is still called as given.
 */
export function outboundTarget(
  routing: OutboundRouting | undefined,
  toUri: string,
  fromUri: string,
  context: LegErrorContext,
): OutboundTarget {
  if (!routing) return { kind: 'direct', uri: checkDialUri(toUri, 'to_uri', context) };
  let target: ReturnType<typeof classifyTarget>;
  try {
    target = classifyTarget(toUri.trim(), routing.provisioning.platformDomains());
  } catch (error) {
    throw new ValidationError(
      `to_uri ${JSON.stringify(toUri)} is no SIP URI, number or platform user: ${error instanceof Error ? error.message : String(error)}`,
      context,
      { cause: error },
    );
  }
  if (target.kind === 'sip') return { kind: 'direct', uri: checkDialUri(target.uri, 'to_uri', context) };
  return outboundTargetOf(routeTarget(routing.provisioning.snapshot(), target, fromUri, routing.random));
}
