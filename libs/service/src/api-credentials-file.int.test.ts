// The credentials file is read again when it changes (a rotated Secret): a new token works without a
// restart, and a broken edit leaves the last good file in force.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@callctl/logging';
import { waitFor } from '@callctl/testing';
import { watchApiCredentials } from './api-auth.js';
import { tokenHash } from './api-credentials.js';

const log = createLogger({ service: 'api-credentials-test', level: 'silent' });
const SCOPES = new Set(['calls:read']);

describe('API credentials file reload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-tokens-'));
  const file = join(dir, 'tokens');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a new token once the file changes, and keeps the last good file when an edit is broken', async () => {
    writeFileSync(file, `old sha256:${tokenHash('old-token')} calls:read\n`);
    const warnings: string[] = [];
    const watching = Object.assign(Object.create(log) as Logger, {
      warn: (_fields: object, message: string) => void warnings.push(message),
    });
    const credentials = watchApiCredentials(file, SCOPES, watching, 50);
    try {
      expect(credentials.current().byToken('old-token')?.name).toBe('old');
      writeFileSync(file, `new sha256:${tokenHash('new-token')} calls:read\n`);
      await waitFor('the new token', () => credentials.current().byToken('new-token'), 5000);
      expect(credentials.current().byToken('old-token')).toBeUndefined();

      writeFileSync(file, 'broken line\n');
      await waitFor('the broken file refused', () => warnings.length > 0, 5000);
      expect(warnings).toEqual(['API credentials file changed but is invalid; the previous one stays']);
      expect(credentials.current().byToken('new-token')?.name).toBe('new');
    } finally {
      credentials.close();
    }
  });

  it('refuses to start on a broken file, naming the line', () => {
    writeFileSync(
      file,
      `ok sha256:${tokenHash('t')} calls:read\nbad sha256:${tokenHash('u')} calls:everything\n`,
    );
    expect(() => watchApiCredentials(file, SCOPES, log)).toThrow(
      `${file} line 2: unknown scope "calls:everything"`,
    );
  });
});
