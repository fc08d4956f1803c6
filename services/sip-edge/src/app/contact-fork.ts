// A platform user's registered contacts rung in parallel for one outbound leg (RFC 3261 16.7's forking,
// done by the UAC): each INVITE goes to the contact's URI over the flow its REGISTER came on (the NAT's
// public side, the device's TCP connection), the first 2xx wins, the other branches are CANCELled and a
// 2xx that still comes on one of them is ACKed and BYEd. The leg sees one INVITE: `cbRequest` once, with a
// request whose cancel() cancels every branch.
import type { BindingView } from '@callctl/provisioning';
import { forkFailureStatus } from '../domain/outbound-attempt.js';
import type { OutboundLeg } from './leg-registry.js';
import { isSipFailure, type Dialler, type LateOffer, type SentRequest, type SipDialog } from './sip-stack.js';
import type { LegContext } from './leg-context.js';

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
      const cancelBranch = (branch: Branch) => {
        if (branch.settled || branch.cancelled) return;
        branch.cancelled = true;
        if (!branch.request) return; // cancelled as soon as it leaves
        try {
          branch.request.cancel();
        } catch (error) {
          leg.log.warn({ err: error, contact: branch.binding.contactUri }, 'CANCEL not sent');
        }
      };
      const forkRequest = (first: SentRequest): SentRequest =>
        Object.assign(Object.create(first) as SentRequest, {
          cancel: () => branches.forEach(cancelBranch),
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
            { ...options, proxy: flowOf(binding), headers: { ...options.headers, To: `<${aor}>` } },
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
