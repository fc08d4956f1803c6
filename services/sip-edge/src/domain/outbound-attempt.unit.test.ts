import { forkFailureStatus, gatewayLabel, verdictOfStatus } from './outbound-attempt.js';

describe('what a failed attempt to a gateway means', () => {
  it.each([
    [0, 'failover'],
    [408, 'failover'],
    [500, 'failover'],
    [502, 'failover'],
    [503, 'failover'],
    [504, 'failover'],
    [401, 'challenge'],
    [407, 'challenge'],
    [486, 'final'],
    [603, 'final'],
    [404, 'final'],
    [403, 'final'],
    [480, 'final'],
    [487, 'final'],
    [600, 'final'],
  ] as const)('%i → %s', (status, verdict) => {
    expect(verdictOfStatus(status)).toBe(verdict);
  });

  it('names a gateway as host:port;transport', () => {
    expect(gatewayLabel({ host: '127.0.0.1', port: 5090, transport: 'udp', priority: 1, weight: 1 })).toBe(
      '127.0.0.1:5090;transport=udp',
    );
  });
});

describe('the status of a fork whose every branch failed', () => {
  it.each([
    [[480, 603, 486], 603],
    [[408, 486, 480], 486],
    [[408, 480], 480],
    [[503, 0], 503],
    [[0, 0], 0],
    [[487, 408], 487],
    [[], 0],
  ])('%j → %i', (statuses, status) => {
    expect(forkFailureStatus(statuses)).toBe(status);
  });
});
