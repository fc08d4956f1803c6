import { DEFAULT_CORE_LIMITS, overloadReason } from './limits.js';

const limits = { ...DEFAULT_CORE_LIMITS, maxServerTransactions: 10, maxPendingRequests: 5, maxDialogs: 3 };
const idle = { serverTransactions: 0, pendingRequests: 0, dialogs: 0 };

describe('overloadReason', () => {
  it('lets a request through below every cap', () =>
    expect(overloadReason('INVITE', { serverTransactions: 9, pendingRequests: 4, dialogs: 2 }, limits)).toBe(
      undefined,
    ));

  it('refuses any request at the server transaction cap', () =>
    expect(overloadReason('OPTIONS', { ...idle, serverTransactions: 10 }, limits)).toBe(
      'Too Many Transactions',
    ));

  it('refuses any request at the pending request cap', () =>
    expect(overloadReason('MESSAGE', { ...idle, pendingRequests: 5 }, limits)).toBe(
      'Too Many Pending Requests',
    ));

  it('refuses a dialog-creating request at the dialog cap', () =>
    expect(overloadReason('INVITE', { ...idle, dialogs: 3 }, limits)).toBe('Too Many Dialogs'));

  it('lets other requests through at the dialog cap', () =>
    expect(overloadReason('OPTIONS', { ...idle, dialogs: 3 }, limits)).toBe(undefined));
});
