// The callback service's two front doors end to end (issue #17): the IIF over real UDP (malformed REQUESTs
// answered code=fail and never acted upon, datagrams without an id or from a stranger dropped, a
// retransmitted REQUEST starting one callback, RESPONSE resent until acknowledged) and the gRPC API's
// refusals and CancelCallback. The unit and integration tests of the IIF cover the grammar in full.
import { createSocket } from 'node:dgram';
import { callbackEvents } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { iifRequest } from '../support/callback-iif.js';
import { callbackUnderTest, viewOf } from '../support/callback-under-test.js';
import { userWire } from '../support/callback-users.js';

jest.setTimeout(60_000);

const CAUSE = callbackEvents.CallbackEndCause;
const rig = callbackUnderTest();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Platform legs placed to a user (their LegInitiated), whoever placed them. */
const legsTo = (user: string) =>
  rig
    .p()
    .events.filter(
      (e) => e.event?.$case === 'legInitiated' && e.event.legInitiated.toUri.includes(`sip:${user}@`),
    );

describe('the IIF', () => {
  it('answers malformed REQUESTs and unknown users with code=fail and starts nothing', async () => {
    const user1 = await rig.users().user('1mal', { kind: 'answers' });
    const valid = { user1: '1mal', user2: '2mal', duration: 60 };
    const malformed: Array<[string, string]> = [
      ['m-no-user2', 'REQUEST: id=m-no-user2;user1=1mal;duration=60;'],
      ['m-negative', iifRequest({ id: 'm-negative', ...valid, duration: -5 })],
      ['m-not-number', iifRequest({ id: 'm-not-number', ...valid, duration: 'ten' })],
      ['m-ann-short', iifRequest({ id: 'm-ann-short', ...valid, ann_id1: '1234' })],
      ['m-digits', iifRequest({ id: 'm-digits', ...valid, ann_digit2: '12a' })],
      ['m-unknown-param', iifRequest({ id: 'm-unknown-param', ...valid, colour: 'red' })],
      ['m-twice', 'REQUEST: id=m-twice;user1=1mal;user2=2mal;user2=2mal;duration=60;'],
      ['m-lower-case', 'request: id=m-lower-case;user1=1mal;user2=2mal;duration=60;'],
      ['m-long-user', iifRequest({ id: 'm-long-user', ...valid, user1: `1${'0'.repeat(31)}` })],
      ['x'.repeat(32), iifRequest({ id: 'x'.repeat(32), ...valid })],
      ['m-unknown-user', iifRequest({ id: 'm-unknown-user', ...valid, user1: '9nobody' })],
    ];
    for (const [, text] of malformed) await rig.iif().send(text);
    for (const [id] of malformed) {
      expect((await rig.iif().next('ACK', id)).text).toBe(`ACK: id=${id};code=fail`);
    }
    await sleep(1000);
    const ids = new Set(malformed.map(([id]) => id));
    expect(
      rig.events.filter((e) =>
        ids.has(e.event?.$case === 'requested' ? e.event.requested.origin!.iifId : ''),
      ),
    ).toEqual([]);
    expect(userWire(await user1.sipp.stop(500)).calls).toBe(0);
    const stats = await rig.service().client.getCallbackStats({});
    expect(stats.iifFailed).toBeGreaterThanOrEqual(malformed.length);
  });

  it('drops without an answer what has no id, is too large, or comes from a stranger', async () => {
    const before = await rig.service().client.getCallbackStats({});
    await rig.iif().send('hello');
    await rig.iif().send('REQUEST: user1=1drop;user2=2drop;duration=60;');
    await rig
      .iif()
      .send(
        `${iifRequest({ id: 'too-big', user1: '1drop', user2: '2drop', duration: 60 })}${' '.repeat(3000)}`,
      );
    // 127.0.0.2 is loopback too, but not the peer list's 127.0.0.1.
    const stranger = createSocket('udp4');
    await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.2', () => resolve()));
    const answered: string[] = [];
    stranger.on('message', (data) => answered.push(data.toString()));
    const fromStranger = Buffer.from(
      iifRequest({ id: 'stranger', user1: '1drop', user2: '2drop', duration: 60 }),
    );
    await new Promise<void>((resolve, reject) =>
      stranger.send(fromStranger, rig.service().iifPort, '127.0.0.1', (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    try {
      await waitFor(
        'the drops counted',
        async () => {
          const now = await rig.service().client.getCallbackStats({});
          return (
            now.iifDroppedUnknownPeer >= before.iifDroppedUnknownPeer + 1 &&
            now.iifDroppedMalformed >= before.iifDroppedMalformed + 3
          );
        },
        5000,
      );
      await sleep(500);
      expect(answered).toEqual([]);
      expect(rig.iif().all('ACK', 'too-big')).toEqual([]);
      expect(
        rig.events.some((e) => e.event?.$case === 'requested' && e.event.requested.user1 === '1drop'),
      ).toBe(false);
    } finally {
      stranger.close();
    }
  });

  it('answers a retransmitted REQUEST with the same ACK and starts one callback: one INVITE at user1', async () => {
    const user1 = await rig.users().user('1retx', { kind: 'answers' });
    await rig.users().user('2retx', { kind: 'busy' });
    const request = iifRequest({ id: 'retx', user1: '1retx', user2: '2retx', duration: 60 });
    await rig.iif().send(request);
    await rig.iif().send(request);
    await sleep(300);
    await rig.iif().send(request);
    await waitFor('three ACKs', () => rig.iif().all('ACK', 'retx').length === 3, 10_000);
    expect(
      rig
        .iif()
        .all('ACK', 'retx')
        .map((d) => d.text),
    ).toEqual(Array(3).fill('ACK: id=retx;code=ok'));

    const response = await rig.response('retx');
    expect(response.text).toBe('RESPONSE: id=retx;real_duration=0;');
    // Once more after the callback is over, within the retransmission window: the same ACK, nothing new.
    await rig.iif().send(request);
    await waitFor('a fourth ACK', () => rig.iif().all('ACK', 'retx').length === 4, 10_000);
    expect(rig.iif().all('ACK', 'retx')[3]!.text).toBe('ACK: id=retx;code=ok');
    await sleep(1000);
    expect(
      rig.events.filter((e) => e.event?.$case === 'requested' && e.event.requested.origin?.iifId === 'retx'),
    ).toHaveLength(1);
    expect(legsTo('1retx')).toHaveLength(1);
    expect((await rig.wireOf(user1)).calls).toBe(1);
    expect(rig.iif().all('RESPONSE', 'retx')).toHaveLength(1);
  });

  it('resends RESPONSE, doubling the wait, until the requester acknowledges it', async () => {
    await rig.users().user('1resend', { kind: 'busy' });
    rig.iif().acknowledgeResponses = false;
    try {
      await rig.request({ id: 'resend', user1: '1resend', user2: '2resend', duration: 60 });
      await waitFor('three RESPONSEs', () => rig.iif().all('RESPONSE', 'resend').length >= 3, 20_000);
      await rig.iif().send('ACK: id=resend;code=ok');
      // The next one was due 2 s (the retry 500 ms, doubled twice) after the third.
      await sleep(3000);
      const sent = rig.iif().all('RESPONSE', 'resend');
      expect(sent.map((d) => d.text)).toEqual(Array(3).fill('RESPONSE: id=resend;real_duration=0;'));
      expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(400);
      expect(sent[2]!.at - sent[1]!.at).toBeGreaterThanOrEqual(900);
      const callbackId = await rig.callbackOfIif('resend');
      const settled = await rig.event(
        'responseSettled',
        (e) => e.event.responseSettled.callbackId === callbackId,
      );
      expect(settled.event.responseSettled).toMatchObject({ acknowledged: true, attempts: 3 });
    } finally {
      rig.iif().acknowledgeResponses = true;
    }
  });
});

describe('the gRPC API', () => {
  const start = (fields: Record<string, unknown>) =>
    rig.service().client.startCallback({ user1: '1api', user2: '2api', maxDurationS: 60, ...fields });

  it('refuses what it cannot do, with the status that says why', async () => {
    await expect(start({ idempotencyKey: 'api-unknown-user', user2: '9nobody' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(start({ idempotencyKey: 'api-too-long', maxDurationS: 10_000_000 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(start({ idempotencyKey: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(start({ idempotencyKey: 'api-bad-user', user1: '1 space' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(start({ idempotencyKey: 'api-no-ann', annId1: '00089999' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(rig.events.some((e) => e.event?.$case === 'requested' && e.event.requested.user1 === '1api')).toBe(
      false,
    );
  });

  it('refuses a key already used for other fields, and CancelCallback releases a ringing user1', async () => {
    const user1 = await rig.users().user('1cancel', { kind: 'rings' });
    const started = await start({ idempotencyKey: 'api-cancel', user1: '1cancel' });
    const callbackId = started.callback!.callbackId;
    await expect(
      start({ idempotencyKey: 'api-cancel', user1: '1cancel', user2: '2other' }),
    ).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await rig.event('user1Ringing', (e) => e.event.user1Ringing.callbackId === callbackId);
    await rig.service().client.cancelCallback({ callbackId, reason: 'test' });
    const ended = await rig.event('ended', (e) => e.event.ended.callbackId === callbackId);
    expect(ended.event.ended).toMatchObject({ cause: CAUSE.CALLBACK_END_CAUSE_CANCELLED, realDurationS: 0 });
    expect((await rig.wireOf(user1)).cancelled).toBe(true);
    expect((await viewOf(rig, callbackId)).endCause).toBe(CAUSE.CALLBACK_END_CAUSE_CANCELLED);
  });
});
