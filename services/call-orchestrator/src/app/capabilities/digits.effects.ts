// DTMF and digit collection on the wire: a collection's first prompt plays before its start is recorded
// (as PlayMedia); a barge-in digit stops the prompt on the worker right after the digit is recorded (a
// digit is a fact: it is recorded whatever the worker says, and the stop follows it by one append, tried
// again a few times when it fails since nothing redelivers the fact: media.effects.ts stopFinished); and
// SendDtmf sends before DtmfSent records the method it used.
import { callEvents } from '@callctl/proto';
import { partyOf, type CapabilityEffects } from './effects.js';
import { playStarted, stopFinished } from './media.effects.js';

const { DtmfMethod } = callEvents;

export const digitsEffects: CapabilityEffects = {
  name: 'digits',
  effects: {
    CollectDigits: {
      // The first prompt replaces what plays on the leg (the worker's play does, as for PlayMedia).
      before: (ports, callId, _command, decision, state) => playStarted(ports, callId, decision, state),
    },
    RecordDtmf: {
      after: (ports, callId, _command, decision, state) => stopFinished(ports, callId, decision, state),
    },
    SendDtmf: {
      // RFC 4733 through the media engine where the leg negotiated telephone-event; SIP INFO otherwise.
      before: async (ports, callId, _command, decision, state) => {
        const decided = decision.events.find((e) => e.type === 'DtmfSent');
        if (decided?.type !== 'DtmfSent') return;
        const { legId, digits, durationMs } = decided.data; // as decided (0 became the default)
        const party = partyOf(state, legId);
        const { sent } = await ports.media.sendDtmf({ callId, party, digits, durationMs });
        if (!sent) await ports.sipEdge.sendDtmfInfo(callId, legId, digits, durationMs);
        const method = sent ? DtmfMethod.DTMF_METHOD_RFC4733 : DtmfMethod.DTMF_METHOD_INFO;
        return (event) => (event.type === 'DtmfSent' ? { ...event, data: { ...event.data, method } } : event);
      },
    },
    SetDtmfDetection: {
      before: (ports, callId, command, _decision, state) =>
        ports.media.setDtmfDetection({
          callId,
          party: partyOf(state, command.data.legId),
          inband: command.data.inband,
        }),
    },
  },
};
