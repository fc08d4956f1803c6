import { ALL_SCOPES, ApiCredentialsError, parseApiCredentials, tokenHash } from './api-credentials.js';

const SCOPES = new Set(['calls:read', 'calls:write']);
const line = (name: string, token: string, scopes: string) => `${name} sha256:${tokenHash(token)} ${scopes}`;

describe('API credentials file', () => {
  it('finds the principal of a token from its hash, with its scopes', () => {
    const credentials = parseApiCredentials(
      [
        '# who may call',
        line('billing', 'tok-billing', 'calls:read,calls:write'),
        '',
        `${line('viewer', 'tok-viewer', 'calls:read')}   # read only`,
      ].join('\n'),
      'tokens',
      SCOPES,
    );
    expect(credentials.byToken('tok-viewer')).toEqual({ name: 'viewer', scopes: new Set(['calls:read']) });
    expect(credentials.byToken('tok-billing')?.name).toBe('billing');
    expect(credentials.byToken('tok-nobody')).toBeUndefined();
    expect(credentials.byToken(tokenHash('tok-viewer'))).toBeUndefined();
    expect(credentials.size).toEqual({ tokens: 2, certificates: 0 });
  });

  it('maps a client certificate common name to its scopes, and takes * for every scope', () => {
    const credentials = parseApiCredentials(`ops cn:ops.example.com ${ALL_SCOPES}`, 'tokens', SCOPES);
    expect(credentials.byCertificate('ops.example.com')).toEqual({ name: 'ops', scopes: new Set(['*']) });
    expect(credentials.byCertificate('other')).toBeUndefined();
  });

  it.each([
    ['a scope nobody knows', line('a', 't', 'calls:raed'), 'line 1: unknown scope "calls:raed"'],
    [
      'a name given twice',
      `${line('a', 't1', 'calls:read')}\n${line('a', 't2', 'calls:read')}`,
      'line 2: "a" appears twice',
    ],
    [
      'a hash given twice',
      `${line('a', 't', 'calls:read')}\n${line('b', 't', 'calls:read')}`,
      'line 2: this token hash appears twice',
    ],
    ['a token in clear', 'a s3cret calls:read', 'line 1: expected sha256:<64 hex digits>'],
    ['a short hash', 'a sha256:abcd calls:read', 'line 1: expected sha256:<64 hex digits>'],
    ['a missing field', `a sha256:${tokenHash('t')}`, 'line 1: expected "<name> sha256:<hex>|cn:<name>'],
  ])('refuses %s, naming the line', (_, text, message) => {
    expect(() => parseApiCredentials(text, 'tokens', SCOPES)).toThrow(ApiCredentialsError);
    expect(() => parseApiCredentials(text, 'tokens', SCOPES)).toThrow(`tokens ${message}`);
  });

  it('never puts the token text in an error', () => {
    expect(() => parseApiCredentials('a s3cret-token-text calls:read', 'tokens', SCOPES)).not.toThrow(
      /s3cret-token-text/,
    );
  });
});
