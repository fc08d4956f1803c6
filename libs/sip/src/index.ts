// Front door of @callctl/sip: the SIP message layer the SIP engine stands on.
export { SipParseError, isSipParseError, type SipParsePartial } from './errors.js';
export { SipMessage, SipRequest, SipResponse, parseCSeq, type CSeq } from './message.js';
export { canonicalHeaderName, headerKey, isListHeader } from './header-names.js';
export {
  parseMessage,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_HEADER_COUNT,
  DEFAULT_MAX_HEADER_LINE_BYTES,
  type ParseOptions,
} from './parse-message.js';
export { serializeMessage } from './serialize-message.js';
export { StreamFramer, type StreamFramerOptions } from './stream-framer.js';
export { parseUri, formatUri, unescapeUriPart, uriScheme, type SipUri, type UriScheme } from './uri.js';
export { parseNameAddr, parseContact, formatNameAddr, type NameAddr, type Contact } from './name-addr.js';
export { parseVia, formatVia, BRANCH_MAGIC_COOKIE, type Via } from './via.js';
export { buildResponse, buildParseErrorResponse, type BuildResponseOptions } from './build-response.js';
export { buildNon2xxAck, buildCancel } from './build-request.js';
export { validateRequest, type ValidateOptions, type ValidationFailure } from './validate-request.js';
export { newBranch, newTag, newCallId } from './ids.js';
export { REASON_PHRASES } from './reason-phrases.js';
export { splitTopLevel, quote, unquote } from './basic-rules.js';
export {
  writeRecordingMetadata,
  escapeXml,
  RecordingMetadataError,
  RECORDING_NAMESPACE,
  EXTENSION_NAMESPACE,
  EXTENSION_PREFIX,
  type RecordingMetadata,
  type RecordingParticipant,
  type RecordingStream,
} from './rs-metadata.js';
export {
  writeMultipart,
  readMultipart,
  partHeader,
  headerParameter,
  mediaTypeOf,
  MultipartError,
  type BodyPart,
  type MultipartBody,
} from './multipart.js';
export { parseCidr, formatCidr, cidrContains, longestMatch, parseAddressBytes, type Cidr } from './cidr.js';
export {
  parseChallenge,
  formatChallenge,
  parseCredentials,
  parseCredentialsWithReason,
  formatCredentials,
  ha1,
  expectedResponse,
  verifyResponse,
  pickChallenge,
  answerChallenge,
  type DigestAlgorithm,
  type DigestChallenge,
  type DigestCredentials,
  type DigestParseResult,
} from './digest.js';
export { issueNonce, checkNonce, NonceCounts, type NonceCheck } from './digest-nonce.js';
export { parseReason, formatReason, REASON_TEXT_MAX, type SipReason } from './reason.js';
