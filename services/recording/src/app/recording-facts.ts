// The RecordingFacts the service publishes, each with a name-based id: the same fact made again (a stop
// retried, a restart recovery run twice) carries the same id, and JetStream stores it once.
import { sha1Uuid } from '@callctl/service';
import type { facts } from '@callctl/proto';
import type { StopReason } from './ports.js';
import { stopReasonToProto } from './proto-enums.js';

type Base = { callId: string; recordingId: string; occurredAtMs: number };

const NAMESPACE = 'callctl.recording.fact';

const factOf = (base: Base, id: string, fact: facts.RecordingFact['fact']): facts.RecordingFact => ({
  factId: sha1Uuid(NAMESPACE, base.recordingId, id),
  callId: base.callId,
  recordingId: base.recordingId,
  fact,
  sourceSequence: 0,
  occurredAtMs: base.occurredAtMs,
});

export function recorderStoppedFact(base: Base, reason: StopReason): facts.RecordingFact {
  return factOf(base, 'stopped', {
    $case: 'recorderStopped',
    recorderStopped: { reason: stopReasonToProto(reason) },
  });
}

export interface PartSaved {
  part: number;
  final: boolean;
  partial: boolean;
  durationMs: number;
  channels: number;
  sampleRateHz: number;
  bytes: number;
  sha256: string;
  /** Over every saved part of the recording, this one included. */
  totalDurationMs: number;
}

export function partSavedFact(base: Base, saved: PartSaved): facts.RecordingFact {
  return factOf(base, `part-saved.${saved.part}`, {
    $case: 'recordingPartSaved',
    recordingPartSaved: {
      ...saved,
      durationMs: Math.round(saved.durationMs),
      totalDurationMs: Math.round(saved.totalDurationMs),
    },
  });
}

export function recorderFailedFact(base: Base, reason: string): facts.RecordingFact {
  return factOf(base, 'failed', { $case: 'recorderFailed', recorderFailed: { reason } });
}
