// The call's events: a union discriminated on `type`, where `type` is the proto message name and `data`
// the generated payload type (never a hand-copied shape).
import type { callEvents as ev } from '@callctl/proto';

type E<T extends string, D> = { readonly type: T; readonly data: D };

export type CallEvent =
  | E<'CallCreated', ev.CallCreated>
  | E<'LegInitiated', ev.LegInitiated>
  | E<'LegRinging', ev.LegRinging>
  | E<'LegAnswered', ev.LegAnswered>
  | E<'LegEnded', ev.LegEnded>
  | E<'LegAttemptFailed', ev.LegAttemptFailed>
  | E<'CallEnded', ev.CallEnded>
  | E<'PlaybackStarted', ev.PlaybackStarted>
  | E<'PlaybackFinished', ev.PlaybackFinished>
  | E<'DtmfReceived', ev.DtmfReceived>
  | E<'DigitCollectionStarted', ev.DigitCollectionStarted>
  | E<'DigitsCollected', ev.DigitsCollected>
  | E<'EchoStarted', ev.EchoStarted>
  | E<'EchoStopped', ev.EchoStopped>
  | E<'LegsBridged', ev.LegsBridged>
  | E<'BridgeEnded', ev.BridgeEnded>
  | E<'DialRequested', ev.DialRequested>
  | E<'LegMediaLost', ev.LegMediaLost>
  | E<'DtmfSent', ev.DtmfSent>
  | E<'DtmfDetectionChanged', ev.DtmfDetectionChanged>
  | E<'CallMaxDurationSet', ev.CallMaxDurationSet>
  | E<'RecordingStarted', ev.RecordingStarted>
  | E<'RecordingPaused', ev.RecordingPaused>
  | E<'RecordingResumed', ev.RecordingResumed>
  | E<'RecordingStopped', ev.RecordingStopped>
  | E<'RecordingSaved', ev.RecordingSaved>
  | E<'RecordingFailed', ev.RecordingFailed>
  | E<'StreamRequested', ev.StreamRequested>
  | E<'StreamStarted', ev.StreamStarted>
  | E<'StreamReconnecting', ev.StreamReconnecting>
  | E<'StreamPaused', ev.StreamPaused>
  | E<'StreamResumed', ev.StreamResumed>
  | E<'StreamStopped', ev.StreamStopped>
  | E<'StreamFailed', ev.StreamFailed>
  | E<'SiprecRequested', ev.SiprecRequested>
  | E<'SiprecAttemptFailed', ev.SiprecAttemptFailed>
  | E<'SiprecStarted', ev.SiprecStarted>
  | E<'SiprecPaused', ev.SiprecPaused>
  | E<'SiprecResumed', ev.SiprecResumed>
  | E<'SiprecUpdated', ev.SiprecUpdated>
  | E<'SiprecStopped', ev.SiprecStopped>
  | E<'SiprecFailed', ev.SiprecFailed>
  | E<'MonitorRequested', ev.MonitorRequested>
  | E<'MonitorStarted', ev.MonitorStarted>
  | E<'MonitorModeChanged', ev.MonitorModeChanged>
  | E<'MonitorEnded', ev.MonitorEnded>
  | E<'TransferRequested', ev.TransferRequested>
  | E<'TransferProgress', ev.TransferProgress>
  | E<'TransferCompleted', ev.TransferCompleted>
  | E<'TransferFailed', ev.TransferFailed>
  | E<'ConsultationStarted', ev.ConsultationStarted>
  | E<'ConsultationEnded', ev.ConsultationEnded>
  | E<'LegHeld', ev.LegHeld>
  | E<'LegResumed', ev.LegResumed>
  | E<'ParticipantAdded', ev.ParticipantAdded>
  | E<'ParticipantRemoved', ev.ParticipantRemoved>
  | E<'LegMovedOut', ev.LegMovedOut>
  | E<'LegMovedIn', ev.LegMovedIn>;

export type CallEventType = CallEvent['type'];
