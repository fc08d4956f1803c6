import { createLogger } from '@callctl/logging';
import { buildResponse, parseMessage, type SipRequest } from '@callctl/sip';
import { DEFAULT_TIMERS } from '../transaction/timers.js';
import type { SipTransport } from '../transport/transport.js';
import type { Flow } from './addressing.js';
import { ManualClock } from './manual-clock.js';
import { ClientTransaction, ServerTransaction, type TransactionContext } from './transaction-shell.js';

const INVITE = [
  'INVITE sip:b@127.0.0.1 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1',
  'From: <sip:a@127.0.0.1>;tag=a',
  'To: <sip:b@127.0.0.1>',
  'Call-ID: c1',
  'CSeq: 1 INVITE',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

function setup(reliable = false) {
  const clock = new ManualClock();
  const sent: Array<{ at: number; text: string }> = [];
  const ctx: TransactionContext = {
    clock,
    timers: DEFAULT_TIMERS,
    log: createLogger({ service: 'test', level: 'silent' }),
    send: (_flow, data) => {
      sent.push({ at: clock.now().getTime(), text: data.toString() });
      return Promise.resolve();
    },
  };
  // Only `reliable` and `protocol` are read by the shell; sending goes through ctx.send.
  const transport = { protocol: reliable ? 'tcp' : 'udp', reliable } as SipTransport;
  const flow: Flow = { transport, remote: { address: '127.0.0.1', port: 5070 } };
  const invite = parseMessage(Buffer.from(INVITE)) as SipRequest;
  return { clock, sent, ctx, flow, invite };
}

describe('server transaction shell', () => {
  it('retransmits a 2xx at T1, 2T1, 4T1 capped at T2 until the ACK, then stays quiet', () => {
    const { clock, sent, ctx, flow, invite } = setup();
    const txn = new ServerTransaction(ctx, invite, flow, 'k', {
      onTerminated: () => undefined,
      onAckTimeout: () => undefined,
    });
    const ok = buildResponse(invite, 200, 'OK', { toTag: 'b' });
    txn.respond(ok, Buffer.from('200'));
    clock.advance(8000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500]);
    txn.ackFor2xx();
    clock.advance(10_000);
    expect(sent).toHaveLength(5);
  });

  it('reports a missing ACK after 64*T1 and terminates', () => {
    const { clock, ctx, flow, invite } = setup();
    const events: string[] = [];
    const txn = new ServerTransaction(ctx, invite, flow, 'k', {
      onTerminated: () => events.push(`terminated@${clock.now().getTime()}`),
      onAckTimeout: () => events.push(`no-ack@${clock.now().getTime()}`),
    });
    txn.respond(buildResponse(invite, 200, 'OK', { toTag: 'b' }), Buffer.from('200'));
    clock.advance(40_000);
    expect(events).toEqual(['no-ack@32000', 'terminated@32000']);
    expect(clock.pending).toBe(0);
  });

  it('never retransmits over a reliable transport', () => {
    const { clock, sent, ctx, flow, invite } = setup(true);
    const txn = new ServerTransaction(ctx, invite, flow, 'k', {
      onTerminated: () => undefined,
      onAckTimeout: () => undefined,
    });
    txn.respond(buildResponse(invite, 486, 'Busy Here', { toTag: 'b' }), Buffer.from('486'));
    clock.advance(40_000);
    expect(sent).toHaveLength(1);
  });
});

describe('client transaction shell', () => {
  it('retransmits the INVITE on timer A and reports 408 on timer B', () => {
    const { clock, sent, ctx, flow, invite } = setup();
    const failures: number[] = [];
    const txn = new ClientTransaction(ctx, invite, Buffer.from('INVITE'), flow, 'k', {
      onResponse: () => undefined,
      onFailure: (_t, status) => failures.push(status),
      onTerminated: () => undefined,
    });
    txn.start();
    clock.advance(40_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(failures).toEqual([408]);
    expect(clock.pending).toBe(0);
  });

  it('ACKs a non-2xx final itself (same branch) and delivers it once', () => {
    const { clock, sent, ctx, flow, invite } = setup();
    const delivered: number[] = [];
    const txn = new ClientTransaction(ctx, invite, Buffer.from('INVITE'), flow, 'k', {
      onResponse: (_t, response) => delivered.push(response.status),
      onFailure: () => undefined,
      onTerminated: () => undefined,
    });
    txn.start();
    const busy = buildResponse(invite, 486, 'Busy Here', { toTag: 'b' });
    txn.receive(busy);
    txn.receive(busy);
    const acks = sent.filter((s) => s.text.startsWith('ACK '));
    expect(acks).toHaveLength(2);
    expect(acks[0]!.text).toContain('branch=z9hG4bK1');
    expect(acks[0]!.text).toContain('CSeq: 1 ACK');
    expect(delivered).toEqual([486]);
    clock.advance(40_000);
    expect(clock.pending).toBe(0);
  });
});
