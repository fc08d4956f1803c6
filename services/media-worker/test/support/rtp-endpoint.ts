// The RTP party moved to @callctl/testing so that the sip-edge end-to-end tests use the same one.
export { RtpEndpoint, toneRatio, encodeMulaw, decodeMulaw } from '@callctl/testing';
