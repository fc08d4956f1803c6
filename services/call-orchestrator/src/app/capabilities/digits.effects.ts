// DTMF and digit collection on the wire: a collection's first prompt plays before its start is recorded
// (as PlayMedia), a barge-in digit stops the prompt on the worker before the digit is recorded (the stop
// must follow the digit at once), and SendDtmf sends before DtmfSent records the method it used.
import { callEvents } from '@callctl/proto';
import { partyOf, type CapabilityEffects } from './effects.js';
import { playStarted, stopFinished } from './media.effects.js';

const { DtmfMethod } = callEvents;

export const digitsEffects: CapabilityEffects = {
  name: 'digits',
  effects: {
    CollectDigits: {
      before: async (ports, callId, _command, decision, state) => {
        await stopFinished(ports, decision, state);
        await playStarted(ports, callId, decision, state);
      },
    },
    RecordDtmf: {
      before: (ports, _callId, _command, decision, state) => stopFinished(ports, decision, state),
    },
    SendDtmf: {
      // RFC 4733 through the media engine where the leg negotiated telephone-event; SIP INFO otherwise.
      before: async (ports, callId, command, _decision, state) => {
        const { legId, digits, durationMs } = command.data;
        const { sent } = await ports.media.sendDtmf({
          callId,
          party: partyOf(state, legId),
          digits,
          durationMs,
        });
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
