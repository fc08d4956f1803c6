// Dialog state (RFC 3261 §12) for the UAS and UAC dialogs the engine holds on behalf of apps. Keyed
// internally by the full (Call-ID, local tag, remote tag) triple; the drachtio wire id
// `<Call-ID>;from-tag=<tag of the creating request's From>` is derived only for the admin channel.
import type { AppConnection } from '../admin/connection.js';
import type { Flow } from './addressing.js';
import type { Timer } from './runtime.js';

export type DialogRole = 'uas' | 'uac';

export interface DialogInit {
  role: DialogRole;
  /** What made it: an INVITE (ends with BYE) or a SUBSCRIBE (ends with NOTIFY terminated). */
  usage: 'invite' | 'subscribe';
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Our From (UAC) / To (UAS) header value, tag included. */
  local: string;
  /** The peer's header value, tag included. */
  remote: string;
  localSeq: number;
  remoteSeq: number;
  remoteTarget: string;
  /** Route set in the order requests carry it. */
  routeSet: string[];
  /** Our Contact URI in this dialog. */
  localContact: string;
  flow: Flow;
  /** Where to go when `flow` is a connection that has closed (the first route or the remote target). */
  fallback?: Flow;
  app: AppConnection | undefined;
  /** CSeq number of the INVITE that created the dialog (the ACK for its 2xx uses it). */
  inviteSeq: number;
}

/** Something in the dialog that ends when the dialog ends (a request waiting for the app's answer). */
export interface DialogMember {
  closeWithDialog(): void;
}

/** NOTIFY with `Subscription-State: terminated` ends a SUBSCRIBE dialog, never an INVITE one (a REFER's). */
export function endsSubscription(
  dialog: Dialog,
  method: string,
  subscriptionState: string | undefined,
): boolean {
  return (
    dialog.usage === 'subscribe' && method === 'NOTIFY' && /^\s*terminated/i.test(subscriptionState ?? '')
  );
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\n${localTag}\n${remoteTag}`;
}

export function wireDialogId(callId: string, creatorFromTag: string): string {
  return `${callId};from-tag=${creatorFromTag}`;
}

export class Dialog {
  /** Where in-dialog requests go now: the dialog's connection while it is up, else the fallback. */
  get flow(): Flow {
    const primary = this.primaryFlow;
    if (this.fallbackFlow && primary.transport.isConnected?.(primary.remote) === false)
      return this.fallbackFlow;
    return primary;
  }

  readonly id: string;
  readonly key: string;
  readonly role: DialogRole;
  readonly usage: 'invite' | 'subscribe';
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly local: string;
  readonly remote: string;
  localSeq: number;
  remoteSeq: number;
  remoteTarget: string;
  readonly routeSet: string[];
  readonly localContact: string;
  private readonly primaryFlow: Flow;
  private readonly fallbackFlow: Flow | undefined;
  app: AppConnection | undefined;
  /** CSeq number an ACK from the app must carry: that of the latest INVITE answered 2xx. */
  ackSeq: number;
  /** The last ACK sent (UAC), re-sent when the 2xx is retransmitted. */
  lastAck: Buffer | undefined;
  /** Made by a reliable provisional response (RFC 3262) and not confirmed by a 2xx yet. */
  early = false;
  /** The INVITE (ours, as UAS) whose reliable provisional made this early dialog: PRACKs stop its resends. */
  earlyInvite: DialogMember | undefined;
  /** The app cancelled the INVITE but a 2xx came anyway: BYE right after the app's ACK (research §7.4). */
  byeAfterAck = false;
  /** Our 2xx waiting for its ACK (UAS). */
  awaitingAck: DialogMember | undefined;
  /** A re-INVITE from the network the app has not answered yet. */
  inboundInvite: DialogMember | undefined;
  /** A re-INVITE the app sent that has no final response yet. */
  outboundInvite: DialogMember | undefined;
  /** The RFC 4028 session timer (refresh or expiry), if one was negotiated. */
  sessionTimer: Timer | undefined;
  /** What was negotiated: interval and whether we refresh (re-used when a refresh from them comes in). */
  session: { seconds: number; weRefresh: boolean } | undefined;
  /** Our current session description, for refresh re-INVITEs the engine sends on its own. */
  localSdp: Buffer | undefined;
  /** Requests delivered to the app and not answered: closed with 500 when the dialog ends. */
  readonly pending = new Set<DialogMember>();
  ended = false;

  constructor(init: DialogInit) {
    this.role = init.role;
    this.usage = init.usage;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.local = init.local;
    this.remote = init.remote;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localContact = init.localContact;
    this.primaryFlow = init.flow;
    this.fallbackFlow = init.fallback;
    this.app = init.app;
    this.ackSeq = init.inviteSeq;
    this.key = dialogKey(init.callId, init.localTag, init.remoteTag);
    this.id = wireDialogId(init.callId, init.role === 'uas' ? init.remoteTag : init.localTag);
  }
}

/** Every live dialog, by internal key and by wire id. Entries go when the dialog ends. */
export class DialogTable {
  private readonly byKey = new Map<string, Dialog>();
  private readonly byId = new Map<string, Dialog>();

  get size(): number {
    return this.byKey.size;
  }

  add(dialog: Dialog): void {
    this.byKey.set(dialog.key, dialog);
    this.byId.set(dialog.id, dialog);
  }

  find(callId: string, localTag: string, remoteTag: string): Dialog | undefined {
    return this.byKey.get(dialogKey(callId, localTag, remoteTag));
  }

  findById(id: string): Dialog | undefined {
    return this.byId.get(id);
  }

  remove(dialog: Dialog): void {
    if (dialog.ended) return;
    dialog.ended = true;
    dialog.sessionTimer?.cancel();
    if (this.byKey.get(dialog.key) === dialog) this.byKey.delete(dialog.key);
    if (this.byId.get(dialog.id) === dialog) this.byId.delete(dialog.id);
    for (const member of [...dialog.pending]) member.closeWithDialog();
    dialog.pending.clear();
  }
}
