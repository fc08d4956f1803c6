// RecordingWithParts → callctl.v1.Recording.
import type { recordings } from '@callctl/proto';
import type { RecordingWithParts } from '../../app/ports.js';
import {
  channelsToProto,
  kindToProto,
  pauseModeToProto,
  statusToProto,
  stopReasonToProto,
} from '../../app/proto-enums.js';

export function recordingMessage({ recording: r, parts, pauses }: RecordingWithParts): recordings.Recording {
  const saved = parts.filter((p) => p.saved);
  return {
    recordingId: r.recordingId,
    callId: r.callId,
    kind: kindToProto(r.kind),
    legId: r.kind === 'segment' ? (r.parties[0]?.legId ?? '') : '',
    legIds: r.parties.map((p) => p.legId),
    channels: channelsToProto(r.channels),
    sampleRateHz: r.sampleRate,
    pauseMode: pauseModeToProto(r.pauseMode),
    status: statusToProto(r.status),
    stopReason: r.stopReason ? stopReasonToProto(r.stopReason) : 0,
    failureReason: r.failureReason ?? '',
    durationMs: saved.reduce((sum, p) => sum + p.durationMs, 0),
    bytes: saved.reduce((sum, p) => sum + p.bytes, 0),
    parts: [...parts]
      .sort((a, b) => a.part - b.part)
      .map((p) => ({
        part: p.part,
        saved: p.saved,
        partial: p.partial,
        durationMs: p.durationMs,
        bytes: p.bytes,
        sha256: p.sha256,
        startedAt: p.startedAt,
        ...(p.endedAt ? { endedAt: p.endedAt } : {}),
      })),
    pauses: [...pauses]
      .sort((a, b) => a.part - b.part || a.pausedAt.getTime() - b.pausedAt.getTime())
      .map((p) => ({
        offsetMs: p.offsetMs,
        durationMs: p.durationMs,
        part: p.part,
        pausedAt: p.pausedAt,
        ...(p.resumedAt ? { resumedAt: p.resumedAt } : {}),
      })),
    startedAt: r.startedAt,
    ...(r.endedAt ? { endedAt: r.endedAt } : {}),
    maxDurationMs: r.maxDurationMs,
  };
}
