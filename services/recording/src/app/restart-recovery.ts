// What a start of the service does with the recordings its previous run left unfinished (killed, or shut
// down while recording): the last part's spool file is made a valid WAV, stored and marked saved; the
// recording then goes on in a new part when it was not stopped and its media is still there, or ends.
import type { Logger } from '@callctl/logging';
import { partSavedFact, recorderStoppedFact } from './recording-facts.js';
import type { Recordings } from './recordings.js';
import type { ForkPort, PartRecord, RecordingRepository, RecordingWithParts } from './ports.js';
import type { SpoolFiles } from './service-ports.js';

export interface RestartRecoveryDeps {
  recordings: Recordings;
  repository: RecordingRepository;
  forks: ForkPort;
  spool: SpoolFiles;
  instance: string;
  now(): Date;
  log: Logger;
}

export interface RecoveryOutcome {
  recordingId: string;
  outcome: 'continued' | 'ended' | 'failed';
}

/** Recovers every unfinished recording of this instance, one after the other. */
export async function recoverUnfinished(deps: RestartRecoveryDeps): Promise<RecoveryOutcome[]> {
  const unfinished = await deps.repository.unfinished(deps.instance);
  const outcomes: RecoveryOutcome[] = [];
  for (const found of unfinished) {
    if (deps.recordings.isActive(found.recording.recordingId)) continue;
    outcomes.push({ recordingId: found.recording.recordingId, outcome: await recoverOne(deps, found) });
  }
  if (outcomes.length) deps.log.info({ outcomes }, 'unfinished recordings recovered');
  return outcomes;
}

async function recoverOne(
  deps: RestartRecoveryDeps,
  found: RecordingWithParts,
): Promise<RecoveryOutcome['outcome']> {
  const { recordings, repository, spool, log } = deps;
  const record = found.recording;
  const id = record.recordingId;
  const last = lastPart(found.parts);
  if (!last) {
    await recordings.fail(record, 'no part found at restart');
    return 'failed';
  }
  // A stop whose file was closed recorded its reason first: that part is complete, not partial.
  const stopped = record.stopReason !== undefined;
  let saved: {
    durationMs: number;
    bytes: number;
    sha256: string;
    channels: number;
    sampleRate: number;
    partial: boolean;
  };
  try {
    if (last.saved) {
      saved = {
        durationMs: last.durationMs,
        bytes: last.bytes,
        sha256: last.sha256,
        channels: record.channels === 'dual' ? 2 : 1,
        sampleRate: record.sampleRate,
        partial: last.partial,
      };
    } else {
      const repaired = await spool.repair(last.spoolPath);
      const partial = repaired.partial || !stopped;
      await repository.updatePart(id, last.part, {
        durationMs: Math.round(repaired.durationMs),
        endedAt: deps.now(),
      });
      const stored = await recordings.storePart(id, last.part, last.spoolPath, {
        partial,
        durationMs: repaired.durationMs,
      });
      saved = {
        ...stored,
        durationMs: repaired.durationMs,
        channels: repaired.channels,
        sampleRate: repaired.sampleRate,
        partial,
      };
    }
  } catch (error) {
    await recordings.fail(
      record,
      `part ${last.part} could not be recovered: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 'failed';
  }
  const earlier = found.parts
    .filter((p) => p.part !== last.part && p.saved)
    .reduce((sum, p) => sum + p.durationMs, 0);
  const totalDurationMs = earlier + saved.durationMs;
  const partSaved = (final: boolean) =>
    partSavedFact(recordings.factBase(record), {
      part: last.part,
      final,
      partial: saved.partial,
      durationMs: saved.durationMs,
      channels: saved.channels,
      sampleRateHz: saved.sampleRate,
      bytes: saved.bytes,
      sha256: saved.sha256,
      totalDurationMs,
    });

  const sessionsExist = stopped ? false : await allSessionsExist(deps, found);
  if (!stopped && sessionsExist) {
    const next = last.part + 1;
    try {
      const spoolPath = await spool.prepare(id, next);
      await repository.addPart({
        recordingId: id,
        part: next,
        spoolPath,
        saved: false,
        partial: false,
        durationMs: 0,
        bytes: 0,
        sha256: '',
        startedAt: deps.now(),
      });
      await recordings.continueRecording({
        record,
        part: next,
        spoolPath,
        paused: record.status === 'paused',
        priorDurationMs: totalDurationMs,
      });
      recordings.report(partSaved(false));
      log.info({ recordingId: id, part: next }, 'recording continued in a new part');
      return 'continued';
    } catch (error) {
      log.warn({ recordingId: id, err: error }, 'recording could not go on after the restart; it ends');
    }
  }
  const reason = record.stopReason ?? 'media_ended';
  await repository.update(id, { status: 'saved', stopReason: reason, endedAt: deps.now() });
  if (!stopped) recordings.report(recorderStoppedFact(recordings.factBase(record), reason));
  recordings.report(partSaved(true));
  return 'ended';
}

function lastPart(parts: readonly PartRecord[]): PartRecord | undefined {
  return parts.reduce<PartRecord | undefined>(
    (last, p) => (!last || p.part > last.part ? p : last),
    undefined,
  );
}

/** Whether rtpengine still has every session of the recording; a worker that cannot tell counts as gone. */
async function allSessionsExist(deps: RestartRecoveryDeps, found: RecordingWithParts): Promise<boolean> {
  const sessions = [...new Set(found.recording.parties.map((p) => p.sessionId))];
  try {
    return (await Promise.all(sessions.map((s) => deps.forks.sessionExists(s)))).every(Boolean);
  } catch (error) {
    deps.log.warn(
      { recordingId: found.recording.recordingId, err: error },
      'media sessions not checked at restart',
    );
    return false;
  }
}
