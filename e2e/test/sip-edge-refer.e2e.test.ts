// REFER through sip-edge and the project's SIP engine, against sipp phones that check what they get:
// ReferLeg (the platform asks a phone to transfer itself; the phone's NOTIFYs become ReferProgress facts)
// and a phone's own REFER (checked, accepted with 202 and NOTIFY 100 Trying, reported as ReferReceived;
// NotifyRefer sends the result back).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { facts, sipEdge } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { edgeCallers } from '../support/edge-callers.js';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';

jest.setTimeout(60_000);

describe('sip-edge REFER (sipp phones check every REFER and NOTIFY)', () => {
  let t: EdgeUnderTest;
  const { caller, offered, answered, stopAll } = edgeCallers(() => t);

  beforeAll(async () => {
    t = await startEdgeUnderTest();
  });

  afterEach(() => stopAll());

  afterAll(async () => {
    await t?.close();
  });

  const edge = <Req, Res>(method: (req: Req, cb: (e: Error | null, r: Res) => void) => unknown, req: Req) =>
    call(method.bind(t.client) as never, req) as Promise<Res>;
  const referLeg = (request: Partial<sipEdge.ReferLegRequest> & { callId: string; legId: string }) =>
    edge<sipEdge.ReferLegRequest, sipEdge.ReferLegResponse>(t.client.referLeg, {
      transferId: '',
      referTo: 'sip:target@127.0.0.1:5999',
      referredBy: '',
      timeoutMs: 0,
      ...request,
    });
  const notifyRefer = (request: sipEdge.NotifyReferRequest) =>
    edge<sipEdge.NotifyReferRequest, sipEdge.NotifyReferResponse>(t.client.notifyRefer, request);
  const hangup = (callId: string, legId: string) =>
    edge(t.client.hangupLeg, { callId, legId, sipStatus: 0, reason: 'done' });
  /** The ReferProgress facts of a transfer, as (status, reason, final), once a final one arrived. */
  const progressOf = async (transferId: string) => {
    const isOurs = (f: facts.SipFact) =>
      f.fact?.$case === 'referProgress' && f.fact.referProgress.transferId === transferId;
    await t.fact(
      'referProgress',
      (f) => isOurs(f) && f.fact?.$case === 'referProgress' && f.fact.referProgress.final,
    );
    return t.seen
      .filter(isOurs)
      .map((f) => (f.fact?.$case === 'referProgress' ? f.fact.referProgress : undefined))
      .map((p) => [p?.sipStatus, p?.reason, p?.final]);
  };

  describe('ReferLeg', () => {
    it('sends a REFER the phone accepts, and reports its NOTIFYs 100 and 200 as ReferProgress, the last final', async () => {
      const { sipp, callId, legId } = await answered(
        'uac-answered-accepts-refer-notifies-expect-bye.xml',
        'refer-out-ok',
        { keys: { final_status: '200 OK' } },
      );

      await expect(referLeg({ callId, legId, transferId: 'xfer-ok' })).resolves.toEqual({ sipStatus: 202 });

      expect(await progressOf('xfer-ok')).toEqual([
        [100, 'Trying', false],
        [200, 'OK', true],
      ]);
      await hangup(callId, legId);
      // sipp checked the Refer-To and Referred-By, and that each NOTIFY was answered 200.
      t.expectSippSucceeded(await sipp.result);
    });

    it('reports a NOTIFY 486 as the final ReferProgress of a transfer that failed', async () => {
      const { sipp, callId, legId } = await answered(
        'uac-answered-accepts-refer-notifies-expect-bye.xml',
        'refer-out-busy',
        { keys: { final_status: '486 Busy Here' } },
      );

      await referLeg({ callId, legId, transferId: 'xfer-busy' });

      expect(await progressOf('xfer-busy')).toEqual([
        [100, 'Trying', false],
        [486, 'Busy Here', true],
      ]);
      await hangup(callId, legId);
      t.expectSippSucceeded(await sipp.result);
    });

    it('takes a NOTIFY that overtakes the 202 (RFC 3515 allows it) as the REFER’s progress once the 202 names it', async () => {
      const { sipp, callId, legId } = await answered(
        'uac-answered-accepts-refer-notifies-before-202-expect-bye.xml',
        'refer-out-early-notify',
        { keys: { final_status: '200 OK' } },
      );

      await expect(referLeg({ callId, legId, transferId: 'xfer-early' })).resolves.toEqual({
        sipStatus: 202,
      });

      expect(await progressOf('xfer-early')).toEqual([
        [100, 'Trying', false],
        [200, 'OK', true],
      ]);
      await hangup(callId, legId);
      t.expectSippSucceeded(await sipp.result);
    });

    it('fails with FAILED_PRECONDITION naming the status when the phone refuses the REFER, and reports it final', async () => {
      const { sipp, callId, legId } = await answered(
        'uac-answered-refuses-refer-603-expect-bye.xml',
        'refer-out-603',
      );

      await expect(referLeg({ callId, legId, transferId: 'xfer-603' })).rejects.toMatchObject({
        code: status.FAILED_PRECONDITION,
        details: expect.stringContaining('603 Decline'),
      });

      expect(await progressOf('xfer-603')).toEqual([[603, 'Decline', true]]);
      await hangup(callId, legId);
      t.expectSippSucceeded(await sipp.result);
    });

    it('reports a final 408 when no final NOTIFY comes within timeout_ms', async () => {
      const { sipp, callId, legId } = await answered(
        'uac-answered-accepts-refer-no-notify-expect-bye.xml',
        'refer-out-silent',
      );

      await referLeg({ callId, legId, transferId: 'xfer-silent', timeoutMs: 500 });

      const [[sipStatus, reason, final]] = (await progressOf('xfer-silent')) as [[number, string, boolean]];
      expect([sipStatus, final]).toEqual([408, true]);
      expect(reason).toContain('no final NOTIFY within 500 ms');
      await hangup(callId, legId);
      t.expectSippSucceeded(await sipp.result);
    });

    it('keeps two REFERs on one dialog apart by their ids when the phone reports the second first', async () => {
      const { sipp, callId, legId } = await answered(
        'uac-answered-accepts-two-refers-notifies-second-first-expect-bye.xml',
        'refer-out-two',
      );

      await referLeg({ callId, legId, transferId: 'xfer-first' });
      await referLeg({ callId, legId, transferId: 'xfer-second' });

      expect(await progressOf('xfer-second')).toEqual([[200, 'OK', true]]);
      expect(await progressOf('xfer-first')).toEqual([[486, 'Busy Here', true]]);
      await hangup(callId, legId);
      t.expectSippSucceeded(await sipp.result);
    });

    it('refuses a leg not answered (FAILED_PRECONDITION), a Refer-To that is no SIP URI (INVALID_ARGUMENT) and an unknown leg (NOT_FOUND)', async () => {
      const sipp = await caller('uac-expect-486.xml', 'refer-out-unanswered');
      const { callId, legId } = await offered('refer-out-unanswered');

      await expect(referLeg({ callId, legId, transferId: 'x' })).rejects.toMatchObject({
        code: status.FAILED_PRECONDITION,
        details: expect.stringContaining('not answered'),
      });
      await expect(referLeg({ callId, legId, referTo: 'tel:+15551234' })).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringContaining('refer_to'),
      });
      await expect(referLeg({ callId, legId: 'no-such-leg' })).rejects.toMatchObject({
        code: status.NOT_FOUND,
      });

      await edge(t.client.rejectLeg, { callId, legId, sipStatus: 486, reason: '' });
      t.expectSippSucceeded(await sipp.result);
    });
  });

  describe('a phone’s REFER', () => {
    /** The ReferReceived fact of the leg. */
    const referReceived = async (legId: string) => {
      const fact = await t.fact('referReceived', (f) => f.legId === legId);
      return fact.fact.referReceived;
    };
    /** A caller answered by the platform whose dialog's tags its sipp logs (uac-answered-logs-dialog-tags). */
    const answeredWithTags = async (testCase: string) => {
      const log = join(t.dir, `${testCase}.log`);
      const answer = await answered('uac-answered-logs-dialog-tags-expect-bye.xml', testCase, {
        args: ['-trace_logs', '-log_file', log],
      });
      const tags = await waitFor('the dialog tags logged', () => {
        const match = existsSync(log)
          ? /dialog-tags to-tag=(\S+) from-tag=(\S+)/.exec(readFileSync(log, 'utf8'))
          : null;
        return match ? { toTag: match[1]!, fromTag: match[2]! } : undefined;
      });
      const offer = await offered(testCase);
      const sipCallId = offer.fact.inboundCallOffered.sipCallId;
      return { ...answer, ...tags, sipCallId };
    };

    it('accepts it with 202 and NOTIFY 100 Trying, reports ReferReceived, and sends NotifyRefer’s final NOTIFY once', async () => {
      const { sipp, callId, legId } = await answered(
        'uac-answered-refers-expect-202-notifies-100-200-expect-bye.xml',
        'refer-in-ok',
        { keys: { refer_to: '<sip:target@127.0.0.1:5093>' } },
      );

      const refer = await referReceived(legId);
      expect(refer).toMatchObject({
        referId: '2',
        referTo: 'sip:target@127.0.0.1:5093',
        referredBy: expect.stringMatching(/^<sip:sipp@127\.0\.0\.1:\d+>$/),
        replacesCallId: '',
        replacesLegId: '',
      });
      await expect(
        notifyRefer({ callId, legId, referId: refer.referId, sipStatus: 200, reason: '' }),
      ).resolves.toEqual({});
      // After the final NOTIFY: nothing more is sent (sipp fails on a NOTIFY where it expects the BYE).
      await expect(
        notifyRefer({ callId, legId, referId: refer.referId, sipStatus: 486, reason: '' }),
      ).resolves.toEqual({});

      await hangup(callId, legId);
      // sipp checked Event, Subscription-State, Content-Type and the sipfrag of both NOTIFYs.
      t.expectSippSucceeded(await sipp.result);
      // The leg has ended: a late NotifyRefer has nobody to tell, and succeeds.
      await expect(
        notifyRefer({ callId, legId, referId: refer.referId, sipStatus: 200, reason: '' }),
      ).resolves.toEqual({});
    });

    it('resolves a Replaces against the dialogs sip-edge holds (either tag order, any host) and names that leg', async () => {
      const other = await answeredWithTags('refer-in-replaced');
      // The tags swapped, and a host and port that are not the platform's (linphone drops the port).
      const replaces = `${other.sipCallId}%3Bto-tag%3D${other.fromTag}%3Bfrom-tag%3D${other.toTag}`;
      const { sipp, callId, legId } = await answered(
        'uac-answered-refers-expect-202-notifies-100-200-expect-bye.xml',
        'refer-in-replaces',
        { keys: { refer_to: `<sip:c@192.0.2.1?Replaces=${replaces}>` } },
      );

      expect(await referReceived(legId)).toMatchObject({
        referTo: 'sip:c@192.0.2.1',
        replacesCallId: other.callId,
        replacesLegId: other.legId,
      });

      await notifyRefer({ callId, legId, referId: '2', sipStatus: 200, reason: 'OK' });
      await hangup(callId, legId);
      await hangup(other.callId, other.legId);
      t.expectSippSucceeded(await sipp.result);
      t.expectSippSucceeded(await other.sipp.result);
    });

    it.each([
      [
        '481 to a Replaces naming no dialog sip-edge holds',
        '481',
        '<sip:c@127.0.0.1?Replaces=nosuchcall%3Bto-tag%3Da%3Bfrom-tag%3Db>',
      ],
      ['400 to a Refer-To that is not a SIP URI', '400', '<http://example.com/transfer>'],
      ['400 to a Refer-To with no host', '400', '<sip:>'],
    ])('answers %s, and reports nothing', async (_what, sipStatus, referTo) => {
      const testCase = `refer-in-refused-${sipStatus}-${referTo.length}`;
      const { sipp, callId, legId } = await answered(
        `uac-answered-refers-expect-${sipStatus}-then-bye.xml`,
        testCase,
        { keys: { refer_to: referTo } },
      );

      // The caller hangs up once refused (sipp checked the status and the Warning): its BYE ends the leg.
      t.expectSippSucceeded(await sipp.result);
      await t.fact('legEnded', (f) => f.legId === legId);
      expect(t.factsOf(callId).filter((f) => f.fact?.$case === 'referReceived')).toEqual([]);
    });

    it('answers 481 to a REFER outside any dialog', async () => {
      const sipp = await caller('uac-refers-outside-dialog-expect-481.xml', 'refer-in-no-dialog-at-all');
      t.expectSippSucceeded(await sipp.result);
    });

    it('refuses NotifyRefer for a refer the leg never had (NOT_FOUND) and a status outside 100-699 (INVALID_ARGUMENT)', async () => {
      const { sipp, callId, legId } = await answered('uac-answered-expect-bye.xml', 'refer-in-unknown');

      await expect(
        notifyRefer({ callId, legId, referId: '7', sipStatus: 200, reason: '' }),
      ).rejects.toMatchObject({ code: status.NOT_FOUND, details: expect.stringContaining('no REFER "7"') });
      await expect(
        notifyRefer({ callId, legId, referId: '7', sipStatus: 99, reason: '' }),
      ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });

      await hangup(callId, legId);
      t.expectSippSucceeded(await sipp.result);
    });
  });
});
