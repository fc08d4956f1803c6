// `callctl callback ...` to Callback requests, at the callback service's address.
import type { CommandLineContext } from './commands.js';
import { parse, run, usageError } from '../test/support/parse.js';

const invocation = (line: string, env: CommandLineContext['env'] = {}) => run(line, env).invocation;

describe('callctl callback: commands to requests', () => {
  it('start makes a StartCallback with every option, and a fresh idempotency key', () => {
    expect(
      invocation(
        'callback start 100 101 --duration 3600 --ann1 00080002 --ann2 00080010 --digits 1234 --caller 555',
      ),
    ).toEqual({
      kind: 'callback',
      address: '127.0.0.1:50057',
      method: 'startCallback',
      request: {
        user1: '100',
        user2: '101',
        maxDurationS: 3600,
        annId1: '00080002',
        annId2: '00080010',
        annDigits2: '1234',
        caller: '555',
        idempotencyKey: 'new-id',
      },
    });
    expect(invocation('callback start 100 101 --key k-7')).toMatchObject({
      request: { maxDurationS: 0, annId1: '', annId2: '', annDigits2: '', caller: '', idempotencyKey: 'k-7' },
    });
  });

  it('get, list, cancel, stats and watch make their requests', () => {
    expect(invocation('callback get cb1-1')).toMatchObject({
      kind: 'callback',
      method: 'getCallback',
      request: { callbackId: 'cb1-1' },
    });
    expect(invocation('callback list --active --page-size 20')).toMatchObject({
      method: 'listCallbacks',
      request: { activeOnly: true, pageSize: 20, pageToken: '' },
    });
    expect(invocation('callback list')).toMatchObject({
      request: { activeOnly: false, pageSize: 0, pageToken: '' },
    });
    expect(invocation('callback cancel cb1-1 --reason operator')).toMatchObject({
      method: 'cancelCallback',
      request: { callbackId: 'cb1-1', reason: 'operator' },
    });
    expect(invocation('callback stats')).toMatchObject({ method: 'getCallbackStats', request: {} });
    expect(invocation('callback watch')).toEqual({
      kind: 'callback-watch',
      address: '127.0.0.1:50057',
      request: { callbackId: '', fromPosition: 0 },
    });
    expect(invocation('callback watch cb1-1 --from-position 42')).toMatchObject({
      request: { callbackId: 'cb1-1', fromPosition: 42 },
    });
  });

  it('finds the callback service by --callback-address, else CALLCTL_CALLBACK_ADDRESS, else the local port', () => {
    const env = { CALLCTL_CALLBACK_ADDRESS: 'cb.example:443', CALLCTL_CALLBACK_GRPC_PORT: '51057' };
    expect(invocation('callback stats --callback-address 10.0.0.5:50057', env)).toMatchObject({
      address: '10.0.0.5:50057',
    });
    expect(invocation('callback watch', env)).toMatchObject({ address: 'cb.example:443' });
    expect(invocation('callback get cb1', { CALLCTL_CALLBACK_GRPC_PORT: '51057' })).toMatchObject({
      address: '127.0.0.1:51057',
    });
  });

  it('takes the token and TLS flags as every command does', () => {
    const parsed = parse('callback list --token t0k --ca-file /ca.pem');
    expect(parsed).toMatchObject({ kind: 'run', security: { token: 't0k', tls: true, caFile: '/ca.pem' } });
  });

  it.each([
    ['callback', /missing callback command \(start, get, list, cancel, watch, stats\)/],
    ['callback start 100', /missing <user2>/],
    ['callback start 100 101 --duration 1h', /--duration: expected a whole number \(got "1h"\)/],
    ['callback start 100 101 --duration -5', /--duration/],
    ['callback get', /missing <callback-id>/],
    ['callback list --page-size 501', /--page-size: expected 1-500 \(got 501\)/],
    ['callback cancel a b', /unexpected argument "b"/],
    ['callback frob', /unknown callback command "frob"/],
  ])('refuses %s', (line, message) => {
    const error = usageError(line);
    expect(error.message).toMatch(message);
  });

  it('lists the callback commands in the help, with their usage', () => {
    const help = (parse('--help') as { text: string }).text;
    expect(help).toContain('callback start <user1> <user2>');
    expect(help).toContain('CALLCTL_CALLBACK_ADDRESS');
    const group = (parse('callback --help') as { text: string }).text;
    expect(group).toContain('Usage: callctl callback <start|get|list|cancel|watch|stats>');
    expect(group).toContain('callback watch [callback-id]');
    const start = (parse('callback start --help') as { text: string }).text;
    for (const option of [
      '--duration <s>',
      '--ann1 <id>',
      '--ann2 <id>',
      '--digits <digits>',
      '--caller <caller>',
      '--key <key>',
      '--callback-address <host:port>',
    ])
      expect(start).toContain(option);
  });
});
