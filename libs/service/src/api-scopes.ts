// The scopes of the public API, one vocabulary for every service that serves part of it (CallControl and
// its forwarded MediaLibrary and Recordings; Callback). API_TOKENS_FILE is one Secret read by all of them,
// and each refuses a scope it does not know (a misspelling would deny quietly), so each must know them all.
// Which method needs which scope stays with the service that serves it (a table typed by its definition).

export const API_SCOPES = {
  callsRead: 'calls:read',
  callsWrite: 'calls:write',
  mediaRead: 'media:read',
  mediaWrite: 'media:write',
  recordingsRead: 'recordings:read',
  recordingsWrite: 'recordings:write',
  callbacksRead: 'callbacks:read',
  callbacksWrite: 'callbacks:write',
  provisioningRead: 'provisioning:read',
  provisioningWrite: 'provisioning:write',
} as const;
export type ApiScope = (typeof API_SCOPES)[keyof typeof API_SCOPES];
export const KNOWN_API_SCOPES: ReadonlySet<string> = new Set(Object.values(API_SCOPES));

/**
 * A scope for every method of a generated service definition: a method added to the proto does not
 * compile until someone decides its scope.
 */
export type ScopeTable<Definition> = { readonly [Method in keyof Definition]: ApiScope };

/** The table by method path (`/callctl.v1.CallControl/CreateCall`), as apiAuth's scopeOf looks it up. */
export function scopesByPath<Definition extends Record<string, { path: string }>>(
  definition: Definition,
  table: ScopeTable<Definition>,
): Array<[string, ApiScope]> {
  return Object.entries(definition).map(([method, { path }]) => [path, table[method as keyof Definition]]);
}
