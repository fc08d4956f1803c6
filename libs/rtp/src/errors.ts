// The library's typed errors: what a caller may catch and count (a malformed datagram is not a bug, it is
// input), each naming exactly what was wrong.
import { UnavailableError, UnimplementedError, ValidationError } from '@callctl/errors';

/** A datagram that is not a well-formed version 2 RTP packet; `reason` says which check failed. */
export class MalformedRtpPacketError extends ValidationError<{ reason: string; length: number }> {
  override readonly name = 'MalformedRtpPacketError';
  override readonly code = 'MALFORMED_RTP_PACKET';
}

/** An RFC 4733 payload that is too short or otherwise unreadable. */
export class MalformedTelephoneEventError extends ValidationError<{ length: number }> {
  override readonly name = 'MalformedTelephoneEventError';
  override readonly code = 'MALFORMED_TELEPHONE_EVENT';
}

/** A codec this library has no decoder for (see the README: subscriptions ask rtpengine for G.711 or G.722). */
export class UnsupportedCodecError extends UnimplementedError<{ encodingName: string; clockRate: number }> {
  override readonly name = 'UnsupportedCodecError';
  override readonly code = 'UNSUPPORTED_CODEC';
}

/** A file that is not a WAV this library wrote (canonical 44-byte PCM header), so it cannot be repaired. */
export class NotARepairableWavError extends ValidationError<{ path: string; reason: string }> {
  override readonly name = 'NotARepairableWavError';
  override readonly code = 'NOT_A_REPAIRABLE_WAV';
}

/** A WAV format this writer does not produce (rate, channels), or samples that do not fill whole frames. */
export class InvalidWavFormatError extends ValidationError<{ reason: string }> {
  override readonly name = 'InvalidWavFormatError';
  override readonly code = 'INVALID_WAV_FORMAT';
}

/** Every port of a configured UDP range (MIXER_RTP_PORT_MIN..MAX, STREAM_RTP_PORT_MIN..MAX) is taken. */
export class NoFreeRtpPortError extends UnavailableError<Readonly<{ min: number; max: number }>> {
  override readonly name = 'NoFreeRtpPortError';
  override readonly code = 'NO_FREE_RTP_PORT';
}
