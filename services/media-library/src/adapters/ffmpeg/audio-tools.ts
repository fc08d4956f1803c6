// ffprobe and ffmpeg as child processes: each run has a deadline (then SIGKILL) and the caller's abort
// signal, and works on files in a temporary directory that is removed whatever happens.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TimeoutError, UnavailableError, ValidationError } from '../../domain/errors.js';

/**
 * The demuxers ffprobe and ffmpeg may use on an upload: audio containers only. Playlist and indirection
 * formats (hls, concat, image sequences...) would make ffmpeg open other files or URLs named inside the
 * upload, so they are not on the list.
 */
export const AUDIO_DEMUXERS = [
  'wav',
  'w64',
  'mp3',
  'ogg',
  'flac',
  'mov',
  'mp4',
  'm4a',
  'matroska',
  'webm',
  'aac',
  'aiff',
  'au',
  'amr',
  'caf',
  'wv',
  'ape',
  'tta',
  'asf',
  'voc',
  'ac3',
  'eac3',
  'dts',
  'mpc',
  'mpc8',
  'gsm',
  'opus',
].join(',');

/** Longest stderr kept for a failure's message. */
const STDERR_CHARS = 400;

export interface AudioToolsOptions {
  /** @default 'ffmpeg' */
  ffmpegPath?: string;
  /** @default 'ffprobe' */
  ffprobePath?: string;
  /** Where the per-upload temporary directories go (the OS temp dir by default). */
  workDir: string;
  /** Deadline of one ffprobe or ffmpeg run. */
  timeoutMs: number;
  /**
   * Conversions running at once; more wait their turn (within their upload's deadline). Each ffmpeg keeps a
   * core busy, so more than the cores only slows every upload down. @default DEFAULT_CONVERSIONS
   */
  concurrency?: number;
  /**
   * Largest converted WAV kept. A few kilobytes of FLAC or Opus can hold hours of silence: without a cap
   * on what ffmpeg writes, a small upload would fill the disk and then the memory that reads it back.
   * @default DEFAULT_CONVERTED_MAX_BYTES
   */
  maxOutputBytes?: number;
}

/**
 * @default 20 MiB (MEDIA_STORED_MAX_BYTES): about 11 minutes at 16 kHz, 22 at 8 kHz. The media-worker
 * fetches a library file within its MEDIA_FETCH_MAX_BYTES (20 MiB too): a larger file could not be played.
 */
export const DEFAULT_CONVERTED_MAX_BYTES = 20 * 1024 * 1024;

/** @default 2 (MEDIA_CONVERT_CONCURRENCY) */
export const DEFAULT_CONVERSIONS = 2;

export interface ProbedAudio {
  /** ffprobe's demuxer name, first of its list (`mov,mp4,m4a,...` → `mov`). */
  formatName: string;
  sampleRateHz: number;
}

export interface ConvertedAudio {
  probed: ProbedAudio;
  wav: Buffer;
}

export class AudioTools {
  private readonly ffmpeg: string;
  private readonly ffprobe: string;
  private readonly slots: Slots;
  private readonly maxOutputBytes: number;

  constructor(private readonly options: AudioToolsOptions) {
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_CONVERTED_MAX_BYTES;
    this.ffmpeg = options.ffmpegPath ?? 'ffmpeg';
    this.ffprobe = options.ffprobePath ?? 'ffprobe';
    this.slots = new Slots(options.concurrency ?? DEFAULT_CONVERSIONS);
  }

  /**
   * Probes `source` and converts it to a WAV of 16-bit PCM, mono, at the rate `rateFor` picks from the
   * source's. Bytes ffprobe does not read as audio are INVALID_ARGUMENT "not audio".
   */
  async convert(
    source: Uint8Array,
    rateFor: (sourceRateHz: number) => number,
    signal: AbortSignal,
  ): Promise<ConvertedAudio> {
    const release = await this.slots.take(signal);
    const dir = await mkdtemp(join(this.options.workDir, 'media-library-')).catch((error: unknown) => {
      release();
      throw error;
    });
    try {
      const input = join(dir, 'upload');
      const output = join(dir, 'converted.wav');
      await writeFile(input, source);
      const probed = await this.probe(input, signal);
      const rateHz = rateFor(probed.sampleRateHz);
      await this.run(
        this.ffmpeg,
        [
          ...['-nostdin', '-hide_banner', '-v', 'error', '-format_whitelist', AUDIO_DEMUXERS, '-i', input],
          ...['-map', '0:a:0', '-vn', '-ac', '1', '-ar', String(rateHz)],
          // ffmpeg stops writing once the file passes the cap (one byte more tells a cut file from a full one).
          ...['-fs', String(this.maxOutputBytes + 1)],
          // -bitexact and no metadata: a plain RIFF/fmt/data file, nothing for rtpengine to skip.
          ...['-c:a', 'pcm_s16le', '-map_metadata', '-1', '-bitexact', '-f', 'wav', '-y', output],
        ],
        signal,
        'ffmpeg',
      );
      if ((await stat(output)).size > this.maxOutputBytes) {
        const minutes = Math.floor(this.maxOutputBytes / (2 * rateHz) / 60);
        throw new ValidationError(
          `the audio is too long: converted it would be over ${this.maxOutputBytes} bytes (about ${minutes} minutes at ${rateHz} Hz)`,
        );
      }
      return { probed, wav: await readFile(output) };
    } finally {
      release();
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async probe(file: string, signal: AbortSignal): Promise<ProbedAudio> {
    let stdout: string;
    try {
      stdout = await this.run(
        this.ffprobe,
        [
          ...['-v', 'error', '-format_whitelist', AUDIO_DEMUXERS, '-print_format', 'json'],
          ...['-show_entries', 'stream=codec_type,sample_rate:format=format_name', '-select_streams', 'a:0'],
          file,
        ],
        signal,
        'ffprobe',
      );
    } catch (error) {
      // ffprobe exits non-zero on bytes no allowed demuxer reads: that is the upload's fault.
      if (error instanceof ToolFailed)
        throw new ValidationError('not audio: no audio format recognised', {}, { cause: error });
      throw error;
    }
    const parsed = JSON.parse(stdout) as {
      streams?: { codec_type?: string; sample_rate?: string }[];
      format?: { format_name?: string };
    };
    const stream = parsed.streams?.find((s) => s.codec_type === 'audio');
    const sampleRateHz = Number(stream?.sample_rate);
    if (!stream || !Number.isFinite(sampleRateHz) || sampleRateHz <= 0)
      throw new ValidationError('not audio: the file has no audio stream');
    return { formatName: (parsed.format?.format_name ?? 'unknown').split(',')[0] ?? 'unknown', sampleRateHz };
  }

  private run(binary: string, args: string[], signal: AbortSignal, tool: string): Promise<string> {
    const { timeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      execFile(
        binary,
        args,
        { timeout: timeoutMs, killSignal: 'SIGKILL', signal, maxBuffer: 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const { code, killed } = error as NodeJS.ErrnoException & { killed?: boolean };
          if (code === 'ENOENT')
            return reject(new UnavailableError(`${tool} is not installed (${binary})`, {}, { cause: error }));
          if (error.name === 'AbortError' || signal.aborted)
            return reject(
              new TimeoutError(`${tool} stopped: the upload was abandoned`, {}, { cause: error }),
            );
          if (killed)
            return reject(new TimeoutError(`${tool} took longer than ${timeoutMs} ms`, {}, { cause: error }));
          // The caller sees what the tool said about its bytes, not where this host keeps its files.
          const said = stderr.split(this.options.workDir).join('').trim().slice(-STDERR_CHARS);
          reject(new ToolFailed(tool, said, error));
        },
      );
    });
  }
}

/** A tool exited with an error of its own (bad input, most often); its stderr is the message. */
class ToolFailed extends ValidationError {
  constructor(tool: string, stderr: string, cause: Error) {
    super(`${tool} could not read the audio: ${stderr || 'no details'}`, {}, { cause });
  }
}

/** A counting semaphore whose waits end with the waiter's abort signal. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async take(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.free > 0) this.free--;
    else
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          signal.removeEventListener('abort', gaveUp);
          resolve();
        };
        const gaveUp = () => {
          const at = this.waiting.indexOf(turn);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal.reason as Error);
        };
        this.waiting.push(turn);
        signal.addEventListener('abort', gaveUp, { once: true });
      });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}
