// A trunk's gateways tried one after the other for one outbound leg (the dial plan's order). Each attempt
// has GATEWAY_ATTEMPT_TIMEOUT_MS to ring or answer; a challenge is answered with the trunk's credentials;
// a gateway that fails (timeout, 408, 5xx, transport) is reported (OutboundAttemptFailed) and the next one
// tried; the callee's own answer (486, 603, 404, ...) ends the leg at once. The leg sees one INVITE that
// may change its Call-ID: `cbRequest` is called for every INVITE that leaves.
import type { GatewayAttempt, TrunkView } from '@callctl/provisioning';
import { formatReason } from '@callctl/sip';
import { gatewayLabel, verdictOfStatus } from '../domain/outbound-attempt.js';
import { outboundAttemptFailed } from '../domain/sip-facts.js';
import { factIds, report, type LegContext } from './leg-context.js';
import { hasEnded, type OutboundLeg } from './leg-registry.js';
import type { OutboundRouting } from './outbound-route.js';
import {
  isSipFailure,
  type Dialler,
  type LateOffer,
  type SentRequest,
  type SipDialog,
  type SipHeaders,
  type UacCallbacks,
  type UacOptions,
} from './sip-stack.js';
import { reauthentication } from './uac-digest.js';
import { withIdentity } from './outbound-identity.js';

type AttemptResult =
  | { kind: 'answered'; result: SipDialog | LateOffer }
  | { kind: 'failed'; status: number; reason: string; error: unknown };

/** Challenges answered per attempt: one, and one more only when the gateway says the nonce was stale. */
const MAX_CHALLENGE_ROUNDS = 2;

export function trunkDialler(
  ctx: LegContext,
  leg: OutboundLeg,
  routing: OutboundRouting,
  trunk: TrunkView,
  attempts: readonly GatewayAttempt[],
): Dialler {
  return async (options, callbacks) => {
    let lastError: unknown = new Error(`trunk ${trunk.name} has no gateway`);
    for (const [index, attempt] of attempts.entries()) {
      const outcome = await attemptGateway(ctx, leg, routing, trunk, attempt, options, callbacks);
      if (outcome.kind === 'answered') return outcome.result;
      lastError = outcome.error;
      // The leg was hung up or timed out meanwhile: its own CANCEL made this failure, nothing to retry.
      const stopped = hasEnded(leg) || leg.cancelReason !== undefined || leg.hangupRequested !== undefined;
      if (stopped || verdictOfStatus(outcome.status) !== 'failover') throw outcome.error;
      const failover = index + 1 < attempts.length;
      const gateway = gatewayLabel(attempt.gateway);
      leg.log.warn(
        { trunk: trunk.name, gateway, sipStatus: outcome.status, reason: outcome.reason, failover },
        'gateway attempt failed',
      );
      report(
        ctx,
        leg,
        outboundAttemptFailed(factIds(ctx, leg), {
          attempt: index + 1,
          trunk: trunk.name,
          gateway,
          requestUri: attempt.requestUri,
          sipStatus: outcome.status,
          reason: outcome.reason,
          failover,
        }),
      );
    }
    throw lastError;
  };
}

/**
 * One gateway: the INVITE, and its re-sending with credentials when challenged. Settles with the answer or
 * the failure; a timeout settles at once (the INVITE is CANCELled, and a 2xx that still comes is BYEd).
 */
function attemptGateway(
  ctx: LegContext,
  leg: OutboundLeg,
  routing: OutboundRouting,
  trunk: TrunkView,
  attempt: GatewayAttempt,
  options: UacOptions,
  callbacks: UacCallbacks,
): Promise<AttemptResult> {
  const timeoutMs = routing.gatewayAttemptTimeoutMs;
  return new Promise<AttemptResult>((settle) => {
    let sent: SentRequest | undefined;
    let abandoned = false;
    const timer = setTimeout(() => {
      abandoned = true;
      cancelQuietly(leg, sent);
      settle({
        kind: 'failed',
        status: 0,
        reason: `no answer within ${timeoutMs} ms`,
        error: new Error(`gateway ${gatewayLabel(attempt.gateway)} did not answer within ${timeoutMs} ms`),
      });
    }, timeoutMs);
    const send = (headers: SipHeaders, round: number) => {
      ctx.sip
        .createUAC(
          attempt.requestUri,
          // The identity for this gateway: a trunk's gateways need not all be in the trust domain.
          withIdentity(ctx, attempt.requestUri, { ...options, headers }),
          {
            cbRequest: (error, request) => {
              if (error || !request) return; // the promise rejects too
              sent = request;
              if (abandoned) return cancelQuietly(leg, request);
              callbacks.cbRequest(null, request);
            },
            cbProvisional: (response) => {
              if (abandoned) return;
              // Ringing: the gateway routed the call; the leg's ring timeout governs from here.
              if (response.status > 100) clearTimeout(timer);
              callbacks.cbProvisional(response);
            },
          },
        )
        .then(
          (result) => {
            if (abandoned) {
              void result.destroy().catch(() => undefined);
              return;
            }
            clearTimeout(timer);
            settle({ kind: 'answered', result });
          },
          (error: unknown) => {
            if (abandoned) return;
            const status = isSipFailure(error) ? error.status : 0;
            const challenged = isSipFailure(error) && verdictOfStatus(status) === 'challenge';
            if (challenged && sent && round < MAX_CHALLENGE_ROUNDS && !leg.cancelReason) {
              const again = reauthentication(trunk, routing.secretsKey, error, sent, leg.log);
              if (again && (round === 0 || again.stale)) {
                send({ ...headers, ...again.headers }, round + 1);
                return;
              }
            }
            clearTimeout(timer);
            const reason = isSipFailure(error)
              ? (error.reason ?? '')
              : error instanceof Error
                ? error.message
                : String(error);
            settle({ kind: 'failed', status, reason, error });
          },
        );
    };
    send({ ...options.headers, From: `<${attempt.fromUri}>` }, 0);
  });
}

/** RFC 3326 Reason of the CANCEL of a gateway attempt that timed out (Q.850 102: timer expiry). */
const ATTEMPT_TIMED_OUT = formatReason({ protocol: 'Q.850', cause: 102, text: 'Gateway attempt timed out' });

function cancelQuietly(leg: OutboundLeg, request: SentRequest | undefined): void {
  try {
    request?.cancel({ headers: { Reason: ATTEMPT_TIMED_OUT } });
  } catch (error) {
    leg.log.warn({ err: error }, 'CANCEL not sent');
  }
}
