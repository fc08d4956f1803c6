// The IIF over real UDP sockets on 127.0.0.1, against a double of our own `Callbacks` seam: what an
// application server sees (ACKs, RESPONSEs, silence) for good, bad and hostile datagrams.
import { createSocket, type Socket } from 'node:dgram';
import { createLogger } from '@callctl/logging';
import { callback } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import type { CallbackOrigin, CallbackSpec, Callbacks, StartOutcome } from '../app/ports.js';
import { startIifServer, type IifServer } from './iif-server.js';
import { createResponseSender, type ResponseSender } from './response-sender.js';

/** A UDP socket of the test's own, standing for an application server. */
class UdpPeer {
  private readonly inbox: string[] = [];
  private waiter: (() => void) | undefined;
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on('message', (data) => {
      this.inbox.push(data.toString('utf8'));
      this.waiter?.();
    });
  }

  static async open(): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpPeer(socket, socket.address().port);
  }

  send(datagram: string | Buffer, to: IifServer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(datagram, to.address.port, to.address.host, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** The next datagram this peer received, in arrival order. */
  async next(timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (Date.now() > deadline) throw new Error('no datagram arrived');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.inbox.shift() ?? '';
  }

  received(): readonly string[] {
    return this.inbox;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** The core as the IIF sees it: records each start(), answers as the test says, and can hold an answer. */
function callbacksDouble() {
  const starts: { spec: CallbackSpec; origin: CallbackOrigin }[] = [];
  const settled: [string, boolean, number][] = [];
  const control = {
    answer: (): StartOutcome => ({
      ok: true,
      view: callback.CallbackView.fromPartial({ callbackId: `cb${starts.length}` }),
      created: true,
    }),
    hold: undefined as Promise<void> | undefined,
  };
  const notUsed = () => Promise.reject(new Error('not used by the IIF'));
  const callbacks: Callbacks = {
    async start(spec, origin) {
      starts.push({ spec, origin });
      await control.hold;
      return control.answer();
    },
    async settleResponse(callbackId, acknowledged, attempts) {
      settled.push([callbackId, acknowledged, attempts]);
    },
    get: notUsed,
    list: notUsed,
    cancel: notUsed,
    stats: () => ({ active: 0, admitted: 0, refusedConcurrency: 0, refusedRate: 0 }),
  };
  return { callbacks, starts, settled, control };
}

function owedTo(peer: UdpPeer, callbackId: string, iifId: string, realDurationS: number) {
  return { callbackId, iifId, peerAddress: `127.0.0.1:${peer.port}`, realDurationS };
}

const REQUEST = 'REQUEST: id=1234;user1=100;user2=101;duration=3600;';

describe('IIF server', () => {
  let as1: UdpPeer;
  let stranger: UdpPeer;
  let server: IifServer;
  let responses: ResponseSender;
  let core: ReturnType<typeof callbacksDouble>;
  let logLines: Record<string, unknown>[];

  async function start(
    response = { retryMs: 1000, attempts: 6 },
    peers?: string,
    retransmissionWindowMs = 32_000,
  ) {
    core = callbacksDouble();
    logLines = [];
    const log = createLogger({
      service: 'callback',
      level: 'debug',
      destination: {
        write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>),
      },
    });
    responses = createResponseSender({ ...response, settle: core.callbacks.settleResponse, log });
    server = await startIifServer({
      host: '127.0.0.1',
      port: 0,
      // as1 from its own port only: the stranger is the same host on another port.
      peers: peers ?? `as1=127.0.0.1:${as1.port}`,
      maxDatagramBytes: 2048,
      retransmissionWindowMs,
      callbacks: core.callbacks,
      responses,
      log,
    });
  }

  beforeEach(async () => {
    as1 = await UdpPeer.open();
    stranger = await UdpPeer.open();
  });

  afterEach(async () => {
    responses?.close();
    await server?.close();
    await as1.close();
    await stranger.close();
  });

  it('answers a valid REQUEST with ACK code=ok once the core has it, naming the peer in the origin', async () => {
    await start();
    await as1.send(`${REQUEST}\r\n`, server);
    expect(await as1.next()).toBe('ACK: id=1234;code=ok');
    expect(core.starts).toEqual([
      {
        spec: { user1: '100', user2: '101', maxDurationS: 3600 },
        origin: { kind: 'iif', peerName: 'as1', peerAddress: `127.0.0.1:${as1.port}`, iifId: '1234' },
      },
    ]);
    expect(server.counters()).toMatchObject({ requests: 1, failed: 0 });
  });

  it('answers every malformed REQUEST that has an id with code=fail, starts nothing, and keeps serving', async () => {
    await start();
    const malformed = [
      'request: id=m1;user1=100;user2=101;duration=60', // lower-case method
      `REQUEST: id=${'9'.repeat(32)};user1=100;user2=101;duration=60`, // id of 32 characters
      'REQUEST: id=m3;user1=100;user2=101;duration=1.5', // not an integer
      'REQUEST: id=m4;user1=100;user2=101;duration=-1', // negative
      'REQUEST: id=m5;user1=100;user2=101;duration=60;priority=high', // unknown parameter
      'REQUEST: id=m6;user1=100;user1=101;user2=102;duration=60', // duplicate
      'REQUEST: id=m7;user1=100;duration=60', // missing user2
      `REQUEST: id=m8;user1=${'1'.repeat(32)};user2=101;duration=60`, // user of 32 characters
      'REQUEST: id=m9;user1=100;user2=101;duration=60;ann_id2=123', // announcement id not 8 digits
    ];
    for (const datagram of malformed) {
      await as1.send(datagram, server);
      const id = /\bid=([^;]*)/.exec(datagram)?.[1];
      expect(await as1.next()).toBe(`ACK: id=${id};code=fail`);
    }
    expect(core.starts).toEqual([]);
    await as1.send(REQUEST, server);
    expect(await as1.next()).toBe('ACK: id=1234;code=ok');
    expect(server.counters()).toMatchObject({ requests: malformed.length + 1, failed: malformed.length });
  });

  it('drops what has no id to answer to, unread oversize datagrams included, and keeps serving', async () => {
    await start();
    const dropped: (string | Buffer)[] = [
      'REQUEST: user1=100;user2=101;duration=60', // missing id
      Buffer.alloc(0), // empty
      Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0xc3, 0x28, 0x0a]), // binary garbage
      'hello there', // no method
      'RESPONSE: id=1234;real_duration=5;', // not ours to receive
      'ACK: id=1234;code=fail', // acknowledges nothing
      Buffer.alloc(60_000, 'REQUEST: id=big;'), // 60 kB
    ];
    for (const datagram of dropped) await as1.send(datagram, server);
    await as1.send(REQUEST, server);
    // The first answer is the valid REQUEST's: nothing was sent back for the dropped ones.
    expect(await as1.next()).toBe('ACK: id=1234;code=ok');
    expect(server.counters()).toMatchObject({ droppedMalformed: dropped.length, requests: 1, failed: 0 });
    expect(core.starts).toHaveLength(1);
  });

  it('drops a source not on the peer list unread, logs its address once per interval, and keeps serving', async () => {
    await start();
    await stranger.send(REQUEST, server);
    await stranger.send('REQUEST: id=1235;user1=100;user2=101;duration=60', server);
    await waitFor('the two datagrams dropped', () => server.counters().droppedUnknownPeer === 2);
    await as1.send(REQUEST, server);
    expect(await as1.next()).toBe('ACK: id=1234;code=ok');
    expect(stranger.received()).toEqual([]);
    expect(core.starts).toHaveLength(1);
    const drops = logLines.filter((l) => l['reason'] === 'unknown-peer');
    expect(drops).toEqual([expect.objectContaining({ level: 'warn', source: `127.0.0.1:${stranger.port}` })]);
  });

  it('answers a retransmitted REQUEST with the same ACK without starting a second callback', async () => {
    await start();
    let release = () => {};
    core.control.hold = new Promise<void>((resolve) => (release = resolve));
    // Two copies while the first is in flight (coalesced), one after it was answered.
    await as1.send(REQUEST, server);
    await as1.send(REQUEST, server);
    await waitFor('the copy to be seen', () => server.counters().retransmissions === 1);
    release();
    expect(await as1.next()).toBe('ACK: id=1234;code=ok');
    expect(await as1.next()).toBe('ACK: id=1234;code=ok');
    await as1.send(REQUEST, server);
    expect(await as1.next()).toBe('ACK: id=1234;code=ok');
    expect(core.starts).toHaveLength(1);
    expect(server.counters()).toMatchObject({ requests: 3, retransmissions: 2 });

    // Not identical (another duration): the core decides (its key rules refuse a changed request in progress).
    core.control.answer = () => ({ ok: false, reason: 'duplicate', message: 'id 1234 is in progress' });
    await as1.send('REQUEST: id=1234;user1=100;user2=101;duration=60;', server);
    expect(await as1.next()).toBe('ACK: id=1234;code=fail');
    expect(core.starts).toHaveLength(2);
  });

  it('leaves a copy that comes after the window to the core', async () => {
    await start(undefined, undefined, 1);
    await as1.send(REQUEST, server);
    expect(await as1.next()).toBe('ACK: id=1234;code=ok');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await as1.send(REQUEST, server);
    expect(await as1.next()).toBe('ACK: id=1234;code=ok');
    expect(core.starts).toHaveLength(2);
    expect(server.counters()).toMatchObject({ requests: 2, retransmissions: 0 });
  });

  it('answers code=fail when the core fails, asks it again on the retransmission, and keeps serving', async () => {
    await start();
    core.control.answer = () => {
      throw new Error('event log down');
    };
    await as1.send(REQUEST, server);
    expect(await as1.next()).toBe('ACK: id=1234;code=fail');
    core.control.answer = () => ({
      ok: true,
      view: callback.CallbackView.fromPartial({ callbackId: 'cb1' }),
      created: true,
    });
    await as1.send(REQUEST, server);
    expect(await as1.next()).toBe('ACK: id=1234;code=ok');
    expect(core.starts).toHaveLength(2);
    expect(server.counters()).toMatchObject({ requests: 2, failed: 1, retransmissions: 0 });
  });

  it('resends a RESPONSE until the AS acknowledges it, then settles it once', async () => {
    // Resends 200, 400, 800 ms apart: the ACK after the third lands long before a fourth is due.
    await start({ retryMs: 200, attempts: 6 });
    const owed = owedTo(as1, 'cb-r', '77', 180);
    responses.owe(owed);
    responses.owe(owed); // told again (a restart): ignored
    expect(await as1.next()).toBe('RESPONSE: id=77;real_duration=180;');
    expect(await as1.next()).toBe('RESPONSE: id=77;real_duration=180;');
    expect(await as1.next()).toBe('RESPONSE: id=77;real_duration=180;');
    await as1.send('ACK: id=77;code=ok', server);
    await waitFor('the RESPONSE settled', () => core.settled.length === 1);
    expect(core.settled).toEqual([['cb-r', true, 3]]);
    // A duplicate ACK settles nothing more; the REQUEST after it proves it was handled.
    await as1.send('ACK: id=77;code=ok', server);
    await as1.send(REQUEST, server);
    expect(await as1.next()).toBe('ACK: id=1234;code=ok');
    expect(core.settled).toHaveLength(1);
    expect(responses.counters()).toEqual({ sent: 3, acknowledged: 1, abandoned: 0 });
  });

  it('gives a RESPONSE up after the bound of datagrams and settles it unacknowledged', async () => {
    await start({ retryMs: 20, attempts: 3 });
    responses.owe(owedTo(as1, 'cb-g', '78', 0));
    await waitFor('the RESPONSE given up', () => core.settled.length === 1);
    expect(core.settled).toEqual([['cb-g', false, 3]]);
    expect(as1.received()).toEqual(Array(3).fill('RESPONSE: id=78;real_duration=0;'));
    expect(responses.counters()).toEqual({ sent: 3, acknowledged: 0, abandoned: 1 });
  });

  it('takes the ACK of a RESPONSE from another port of the same host when the peer is listed without one', async () => {
    await start({ retryMs: 1000, attempts: 6 }, 'as=127.0.0.1');
    responses.owe(owedTo(as1, 'cb-p', '79', 5));
    expect(await as1.next()).toBe('RESPONSE: id=79;real_duration=5;');
    await stranger.send('ACK: id=80;code=ok', server); // another id: acknowledges nothing
    await stranger.send('ACK: id=79;code=ok', server);
    await waitFor('the RESPONSE settled', () => core.settled.length === 1);
    expect(core.settled).toEqual([['cb-p', true, 1]]);
  });

  it('settles a RESPONSE to an address it cannot send to as given up, without sending', async () => {
    await start();
    responses.owe({ callbackId: 'cb-x', iifId: '81', peerAddress: 'nowhere', realDurationS: 0 });
    await waitFor('the RESPONSE given up', () => core.settled.length === 1);
    expect(core.settled).toEqual([['cb-x', false, 0]]);
    expect(responses.counters()).toEqual({ sent: 0, acknowledged: 0, abandoned: 1 });
  });
});
