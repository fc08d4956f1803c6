import { callControl, mediaLibrary, recordings } from '@callctl/proto';
import { KNOWN_SCOPES, METHOD_SCOPES, SCOPES } from './method-scopes.js';

// Every method the public port serves (CallControl, and the forwarded MediaLibrary and Recordings), read
// from the generated definitions: one without a scope would be refused to everybody.
const SERVED = [
  callControl.CallControlService,
  mediaLibrary.MediaLibraryService,
  recordings.RecordingsService,
];
const paths = SERVED.flatMap((definition) => Object.values(definition).map((method) => method.path));

describe('public method scopes', () => {
  it.each(paths)('%s has a known scope', (path) => {
    expect(KNOWN_SCOPES.has(METHOD_SCOPES.get(path) ?? '(none)')).toBe(true);
  });

  it('covers the streams too and nothing that is not served', () => {
    expect(METHOD_SCOPES.get('/callctl.v1.CallControl/WatchEvents')).toBe(SCOPES.callsRead);
    expect(METHOD_SCOPES.get('/callctl.v1.MediaLibrary/UploadMedia')).toBe(SCOPES.mediaWrite);
    expect(METHOD_SCOPES.get('/callctl.v1.Recordings/DownloadRecording')).toBe(SCOPES.recordingsRead);
    expect([...METHOD_SCOPES.keys()].sort()).toEqual([...paths].sort());
  });

  it('lets read scopes read only', () => {
    const readOnly = [...METHOD_SCOPES].filter(([, scope]) => scope.endsWith(':read'));
    expect(readOnly.map(([path]) => path.split('/')[2]).sort()).toEqual([
      'DownloadRecording',
      'GetCall',
      'GetMedia',
      'GetRecording',
      'ListCalls',
      'ListMedia',
      'ListRecordings',
      'WatchEvents',
    ]);
  });
});
