// Caps on the state a flood of requests can make the engine hold. Past a cap a new request is refused at
// once, statelessly (no transaction, no table entry), with 503 and Retry-After: an OPTIONS flood took the
// engine from 84 to 639 MB while every request held a transaction for 64*T1.

export interface CoreLimits {
  /** Server transactions alive at a time (answered ones stay for 64*T1 to absorb retransmissions). */
  maxServerTransactions: number;
  /** Requests handed to apps and not answered yet. */
  maxPendingRequests: number;
  /** Dialogs; a new INVITE or SUBSCRIBE beyond it is refused. */
  maxDialogs: number;
  /** Seconds put in Retry-After of a refusal. */
  retryAfterS: number;
}

export const DEFAULT_CORE_LIMITS: CoreLimits = {
  maxServerTransactions: 50_000,
  maxPendingRequests: 10_000,
  maxDialogs: 50_000,
  retryAfterS: 5,
};

/** How full the tables are when a new request arrives. */
export interface CoreLoad {
  serverTransactions: number;
  pendingRequests: number;
  dialogs: number;
}

/** Why a new out-of-dialog request must be refused now (the 503's reason phrase), or undefined. */
export function overloadReason(method: string, load: CoreLoad, limits: CoreLimits): string | undefined {
  if (load.serverTransactions >= limits.maxServerTransactions) return 'Too Many Transactions';
  if (load.pendingRequests >= limits.maxPendingRequests) return 'Too Many Pending Requests';
  if ((method === 'INVITE' || method === 'SUBSCRIBE') && load.dialogs >= limits.maxDialogs)
    return 'Too Many Dialogs';
  return undefined;
}
