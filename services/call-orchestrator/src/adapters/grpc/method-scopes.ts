// The scope each public method needs (API_AUTH=token). The tables are typed by the generated service
// definitions, so a method added to the proto does not compile until it has a scope here; a test also
// walks the served definitions, and the interceptor refuses any method it cannot find.
import { callControl, mediaLibrary, recordings } from '@callctl/proto';
import { API_SCOPES, KNOWN_API_SCOPES, scopesByPath, type ApiScope, type ScopeTable } from '@callctl/service';

// The scope vocabulary is the whole public API's (libs/service api-scopes): a tokens file that grants the
// callback service's scopes is valid here too.
export const SCOPES = API_SCOPES;
export type Scope = ApiScope;
export const KNOWN_SCOPES = KNOWN_API_SCOPES;

type Table<Definition> = ScopeTable<Definition>;

const CALL_CONTROL: Table<typeof callControl.CallControlService> = {
  getCall: SCOPES.callsRead,
  listCalls: SCOPES.callsRead,
  watchEvents: SCOPES.callsRead,
  createCall: SCOPES.callsWrite,
  answerLeg: SCOPES.callsWrite,
  rejectLeg: SCOPES.callsWrite,
  hangup: SCOPES.callsWrite,
  playMedia: SCOPES.callsWrite,
  stopMedia: SCOPES.callsWrite,
  collectDigits: SCOPES.callsWrite,
  startEcho: SCOPES.callsWrite,
  stopEcho: SCOPES.callsWrite,
  bridgeLegs: SCOPES.callsWrite,
  dial: SCOPES.callsWrite,
  say: SCOPES.callsWrite,
  sendDtmf: SCOPES.callsWrite,
  setDtmfDetection: SCOPES.callsWrite,
  monitorCall: SCOPES.callsWrite,
  setMonitorMode: SCOPES.callsWrite,
  stopMonitor: SCOPES.callsWrite,
  holdLeg: SCOPES.callsWrite,
  resumeLeg: SCOPES.callsWrite,
  transferLeg: SCOPES.callsWrite,
  startConsultation: SCOPES.callsWrite,
  completeTransfer: SCOPES.callsWrite,
  cancelConsultation: SCOPES.callsWrite,
  decideTransfer: SCOPES.callsWrite,
  addParticipant: SCOPES.callsWrite,
  removeParticipant: SCOPES.callsWrite,
  startStream: SCOPES.callsWrite,
  stopStream: SCOPES.callsWrite,
  pauseStream: SCOPES.callsWrite,
  resumeStream: SCOPES.callsWrite,
  startSiprec: SCOPES.recordingsWrite,
  pauseSiprec: SCOPES.recordingsWrite,
  resumeSiprec: SCOPES.recordingsWrite,
  stopSiprec: SCOPES.recordingsWrite,
  // Recording a call makes a recording that recordings:read can fetch: the right to make one is the
  // recordings scope, not the right to drive the call.
  startRecording: SCOPES.recordingsWrite,
  pauseRecording: SCOPES.recordingsWrite,
  resumeRecording: SCOPES.recordingsWrite,
  stopRecording: SCOPES.recordingsWrite,
  recordLeg: SCOPES.recordingsWrite,
};

const MEDIA_LIBRARY: Table<typeof mediaLibrary.MediaLibraryService> = {
  listMedia: SCOPES.mediaRead,
  getMedia: SCOPES.mediaRead,
  uploadMedia: SCOPES.mediaWrite,
  deleteMedia: SCOPES.mediaWrite,
};

const RECORDINGS: Table<typeof recordings.RecordingsService> = {
  getRecording: SCOPES.recordingsRead,
  listRecordings: SCOPES.recordingsRead,
  downloadRecording: SCOPES.recordingsRead,
  deleteRecording: SCOPES.recordingsWrite,
};

/** Method path (`/callctl.v1.CallControl/CreateCall`) to the scope it needs. */
export const METHOD_SCOPES: ReadonlyMap<string, Scope> = new Map([
  ...scopesByPath(callControl.CallControlService, CALL_CONTROL),
  ...scopesByPath(mediaLibrary.MediaLibraryService, MEDIA_LIBRARY),
  ...scopesByPath(recordings.RecordingsService, RECORDINGS),
]);

export const scopeOf = (path: string): Scope | undefined => METHOD_SCOPES.get(path);
