// A platform user's registered contacts rung in parallel for one outbound leg (RFC 3261 16.7's forking,
// done by the UAC): each INVITE goes to the contact's URI over the flow its REGISTER came on (the NAT's
// public side, the device's TCP connection), the first 2xx wins, the other branches are CANCELled and a
// 2xx that still comes on one of them is ACKed and BYEd. The leg sees one INVITE: `cbRequest` once, with a
// request whose cancel() cancels every branch.
import type { BindingView } from '@callctl/provisioning';
import { forkFailureStatus } from '../domain/outbound-attempt.js';
import type { OutboundLeg } from './leg-registry.js';
import { formatReason } from '@callctl/sip';
import {
  isSipFailure,
  type Dialler,
  type LateOffer,
  type SentRequest,
  type SipDialog,
  type SipHeaders,
} from './sip-stack.js';
import type { LegContext } from './leg-context.js';
import { withIdentity } from './outbound-identity.js';

/** RFC 3326 §3.1's Reason for the CANCELs of the branches another contact's 2xx beat. */
const COMPLETED_ELSEWHERE = formatReason({ protocol: 'SIP', cause: 200, text: 'Call completed elsewhere' });

interface Branch {
  readonly binding: BindingView;
  request?: SentRequest;
  cancelled: boolean;
  settled: boolean;
}

/** The next hop of a binding: where its REGISTER came from, on the transport it came on. */
export function flowOf(binding: BindingView): string {
  const host = binding.sourceAddress.includes(':') ? `[${binding.sourceAddress}]` : binding.sourceAddress;
  return `sip:${host}:${binding.sourcePort};transport=${binding.transport}`;
}

export function contactFork(
  ctx: LegContext,
  leg: OutboundLeg,
  aor: string,
  bindings: readonly BindingView[],
): Dialler {
  return (options, callbacks) =>
    new Promise<SipDialog | LateOffer>((resolve, reject) => {
      const branches: Branch[] = bindings.map((binding) => ({ binding, cancelled: false, settled: false }));
      const failures: unknown[] = [];
      let winner: Branch | undefined;
      let announced = false;
      // The Reason of every CANCEL the fork sends: the leg's own (a hangup, the ring timeout), or RFC 3326's
      // "completed elsewhere" for the branches that lost to the first 2xx (phones then log no missed call).
      let cancelHeaders: SipHeaders | undefined;
      const cancelBranch = (branch: Branch) => {
        if (branch.settled || branch.cancelled) return;
        branch.cancelled = true;
        if (!branch.request) return; // cancelled as soon as it leaves
        try {
          branch.request.cancel(cancelHeaders ? { headers: cancelHeaders } : undefined);
        } catch (error) {
          leg.log.warn({ err: error, contact: branch.binding.contactUri }, 'CANCEL not sent');
        }
      };
      const forkRequest = (first: SentRequest): SentRequest =>
        Object.assign(Object.create(first) as SentRequest, {
          cancel: (cancelOptions?: { headers?: SipHeaders }) => {
            cancelHeaders = cancelOptions?.headers;
            branches.forEach(cancelBranch);
          },
        });
      const lastFailure = () => {
        if (branches.some((b) => !b.settled)) return;
        const status = forkFailureStatus(failures.map((f) => (isSipFailure(f) ? f.status : 0)));
        reject(failures.find((f) => (isSipFailure(f) ? f.status : 0) === status) ?? failures[0]);
      };
      for (const branch of branches) {
        const { binding } = branch;
        ctx.sip
          .createUAC(
            binding.contactUri,
            withIdentity(ctx, binding.contactUri, {
              ...options,
              proxy: flowOf(binding),
              headers: { ...options.headers, To: `<${aor}>` },
            }),
            {
              cbRequest: (error, request) => {
                if (error || !request) return;
                branch.request = request;
                if (branch.cancelled || winner) {
                  branch.cancelled = false;
                  cancelBranch(branch);
                  return;
                }
                leg.log.info(
                  { contact: binding.contactUri, flow: flowOf(binding), sipCallId: request.get('Call-ID') },
                  'INVITE sent to a contact',
                );
                if (announced) return;
                announced = true;
                callbacks.cbRequest(null, forkRequest(request));
              },
              cbProvisional: (response) => {
                if (!winner && !branch.cancelled) callbacks.cbProvisional(response);
              },
            },
          )
          .then(
            (result) => {
              branch.settled = true;
              if (winner) {
                leg.log.info({ contact: binding.contactUri }, 'second contact answered; BYE');
                void result.destroy().catch(() => undefined);
                return;
              }
              winner = branch;
              // The leg's Call-ID is the dialog's from now on.
              leg.sipCallId = branch.request?.get('Call-ID') ?? leg.sipCallId;
              cancelHeaders = { Reason: COMPLETED_ELSEWHERE };
              branches.forEach(cancelBranch);
              resolve(result);
            },
            (error: unknown) => {
              branch.settled = true;
              failures.push(error);
              if (!winner) lastFailure();
            },
          );
      }
    });
}
