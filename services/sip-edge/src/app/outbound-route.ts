// The dial plan as PlaceCall sees it: the live provisioning view (CALLCTL_PROVISIONING, watched by every
// sip-edge), the registrar's bindings, and what trunk attempts need (the key opening sealed passwords, the
// per-gateway timeout).
import { uriTransport } from '../domain/media-profile.js';
import { classifyTarget, routeTarget, type BindingStore, type ProvisioningView } from '@callctl/provisioning';
import { checkDialUri } from '../domain/dial-target.js';
import {
  IllegalStateError,
  UnavailableError,
  ValidationError,
  type LegErrorContext,
} from '../domain/errors.js';
import {
  notRegistered,
  outboundTargetOf,
  type OutboundTarget,
  type Unroutable,
} from '../domain/outbound-target.js';
import { contactFork } from './contact-fork.js';
import type { LegContext } from './leg-context.js';
import { idsOf, type OutboundLeg } from './leg-registry.js';
import type { Dialler } from './sip-stack.js';
import { trunkDialler } from './trunk-attempts.js';

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

/** How the leg's INVITE goes out, and what OutboundLegSent says about where it went. */
export interface Way {
  kind: 'way';
  dialler: Dialler;
  /** For the log: the URI, the trunk or the user dialled. */
  to: string;
  routed: { trunk?: string; user?: string };
  /** The SIP transports the INVITE may go over (per gateway or contact): they decide the media profile. */
  transports: string[];
}

/**
 * How the leg's INVITE goes out to its target: a SIP URI as given, a trunk's gateways one after the other,
 * a user's contacts (the registrar's bindings, read now) in parallel; or the ending when nothing can be
 * called.
 */
export async function wayOf(
  ctx: LegContext,
  leg: OutboundLeg,
  target: OutboundTarget,
): Promise<Way | Unroutable> {
  switch (target.kind) {
    case 'unroutable':
      return target;
    case 'direct':
      return {
        kind: 'way',
        dialler: (options, callbacks) => ctx.sip.createUAC(target.uri, options, callbacks),
        to: target.uri,
        routed: {},
        transports: [uriTransport(target.uri)],
      };
    case 'trunk':
      return {
        kind: 'way',
        dialler: trunkDialler(ctx, leg, routingOf(ctx), target.trunk, target.attempts),
        to: `trunk ${target.trunk.name}`,
        routed: { trunk: target.trunk.name },
        transports: target.attempts.map((attempt) => uriTransport(attempt.requestUri)),
      };
    case 'user': {
      const routing = routingOf(ctx);
      const bindings = await routing.bindings.list(target.aor, routing.nowMs()).catch((error: unknown) => {
        throw new UnavailableError(`the registrar's bindings of ${target.user} cannot be read`, idsOf(leg), {
          cause: error,
        });
      });
      if (bindings.length === 0) return notRegistered(target.user);
      return {
        kind: 'way',
        dialler: contactFork(ctx, leg, target.aor, bindings),
        to: `${target.user} (${bindings.length} contacts)`,
        routed: { user: target.user },
        transports: bindings.map((binding) => binding.transport),
      };
    }
  }
}

/** Trunks and users come from the dial plan only, so there is one whenever they are dialled. */
function routingOf(ctx: LegContext): OutboundRouting {
  if (!ctx.routing) throw new IllegalStateError('no dial plan: only SIP URIs can be dialled');
  return ctx.routing;
}
