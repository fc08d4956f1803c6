// The door for new INVITEs: who is calling (domain/inbound-caller), a device authenticated with 407 first
// and its call routed by the dial plan (404 at once when nothing routes it), anyone else refused with
// INBOUND_REJECT_STATUS and counted. What passes becomes an InboundCallOffered naming the trunk, or the
// user and where the call goes.
import type { Logger } from '@callctl/logging';
import type { ProvisioningView } from '@callctl/provisioning';
import { parseNameAddr, type Cidr } from '@callctl/sip';
import { classifyInbound, routeDeviceCall } from '../domain/inbound-caller.js';
import type { DeviceDigest } from './device-digest.js';
import { sendFinal, warningHeader } from './sip-response.js';
import type { ReceivedRequest, SipResponder } from './sip-stack.js';

/** What InboundCallOffered says of the caller (empty for an allowlisted source). */
export interface OfferedCaller {
  trunk?: string;
  user?: string;
  routedTo?: string;
}

export interface InboundGateOptions {
  provisioning: ProvisioningView;
  digest: DeviceDigest;
  allowCidrs: readonly Cidr[];
  rejectStatus: number;
  log: Logger;
  random: () => number;
  /** How often the refusal count is logged while it grows. @default 60 s */
  refusalLogIntervalMs?: number;
}

const REFUSAL_LOG_INTERVAL_MS = 60_000;

function uriOf(header: string | undefined): string {
  try {
    return parseNameAddr(header ?? '').uri;
  } catch {
    return header ?? '';
  }
}

export class InboundGate {
  private refused = 0;
  private lastLogged = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: InboundGateOptions) {
    // Counted always, logged once an interval when it grew: a scanner's burst must not flood the log.
    this.timer = setInterval(() => {
      if (this.refused === this.lastLogged) return;
      options.log.info(
        { refused: this.refused, since: this.refused - this.lastLogged },
        'INVITEs refused from unknown sources',
      );
      this.lastLogged = this.refused;
    }, options.refusalLogIntervalMs ?? REFUSAL_LOG_INTERVAL_MS);
    this.timer.unref();
  }

  /** INVITEs refused because their source is no trunk's, no device's and not allowlisted. */
  refusedCount(): number {
    return this.refused;
  }

  /** The caller when the INVITE may become a call; undefined when it was answered here. */
  async admit(request: ReceivedRequest, responder: SipResponder): Promise<OfferedCaller | undefined> {
    const { provisioning, log } = this.options;
    const snapshot = provisioning.snapshot();
    const platformDomains = provisioning.platformDomains();
    const fromUri = uriOf(request.get('From'));
    const caller = classifyInbound({
      snapshot,
      platformDomains,
      sourceAddress: request.source_address,
      requestUri: request.uri,
      fromUri,
      toUri: uriOf(request.get('To')),
      allowCidrs: this.options.allowCidrs,
    });
    switch (caller.kind) {
      case 'trunk':
        return { trunk: caller.trunk };
      case 'allowed':
        return {};
      case 'refused':
        this.refused += 1;
        log.debug({ source: request.source_address, refused: this.refused }, 'INVITE from an unknown source');
        await sendFinal(responder, this.options.rejectStatus, undefined, warningHeader('unknown source'));
        return undefined;
      case 'device':
        return this.admitDevice(request, responder, caller.domain, fromUri);
    }
  }

  private async admitDevice(
    request: ReceivedRequest,
    responder: SipResponder,
    domain: string,
    fromUri: string,
  ): Promise<OfferedCaller | undefined> {
    const { digest, provisioning } = this.options;
    const username = /^sips?:([^@;]+)@/i.exec(fromUri)?.[1] ?? '';
    const outcome = digest.check(request, 'proxy', domain, username);
    if (outcome.kind !== 'authenticated') {
      await digest.answer(responder, 'proxy', domain, outcome);
      return undefined;
    }
    const user = `${outcome.user.username}@${domain}`;
    const route = routeDeviceCall(
      provisioning.snapshot(),
      provisioning.platformDomains(),
      request.uri,
      fromUri,
      this.options.random,
    );
    if (route.kind === 'none') {
      this.options.log.info({ user, target: request.uri, reason: route.reason }, 'device call has no route');
      await sendFinal(responder, 404, 'No Route', warningHeader(route.reason));
      return undefined;
    }
    return { user, routedTo: route.routedTo };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
