// Authentication and scopes on the public gRPC port, as a server interceptor: every call but the open ones
// (health) needs credentials (a bearer token, or a verified client certificate listed in the credentials
// file) holding the scope its method needs. No credentials or unknown ones: UNAUTHENTICATED; known ones
// without the scope: PERMISSION_DENIED naming it. A method missing from the scope table is refused, so a
// method added to the API is closed until someone decides its scope.
import {
  Metadata,
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';
import { hasScope, parseApiCredentials, type ApiCredentials, type ApiPrincipal } from './api-credentials.js';
import { DEFAULT_RELOAD_INTERVAL_MS, pollFiles, readFiles } from './polled-files.js';

/** Methods anyone may call: the gRPC health service (probes carry no credentials). */
export const OPEN_METHODS: ReadonlySet<string> = new Set([
  '/grpc.health.v1.Health/Check',
  '/grpc.health.v1.Health/Watch',
]);

/**
 * Metadata the interceptor sets to the authenticated principal's name (whatever the caller sent under it is
 * replaced), for handlers that record who did something (the provisioning audit). Without apiAuth on the
 * port nobody is authenticated, and a handler must not trust it.
 */
export const PRINCIPAL_METADATA = 'x-callctl-principal';

export const AUTH_FAILURES = {
  noCredentials: 'no_credentials',
  unknownToken: 'unknown_token',
  unknownCertificate: 'unknown_certificate',
  missingScope: 'missing_scope',
  unmappedMethod: 'unmapped_method',
} as const;
export type AuthFailure = (typeof AUTH_FAILURES)[keyof typeof AUTH_FAILURES];

export interface ApiAuthOptions {
  /** The credentials in force now (the file may be reloaded between calls). */
  credentials: () => ApiCredentials;
  /** The scope a method (its full path, `/pkg.Service/Method`) needs; undefined: not in the table. */
  scopeOf: (path: string) => string | undefined;
  log: Logger;
}

export interface ApiAuth {
  interceptor: ServerInterceptor;
  /** Refusals since start, by reason. */
  failures(): Readonly<Record<AuthFailure, number>>;
}

const BEARER = /^bearer\s+(\S+)\s*$/i;

type Verdict =
  | { ok: true; principal: ApiPrincipal }
  | { ok: false; failure: AuthFailure; code: status; details: string; principal?: string };

/** A count of zero for every reason. */
export const noAuthFailures = (): Record<AuthFailure, number> =>
  Object.fromEntries(Object.values(AUTH_FAILURES).map((f) => [f, 0])) as Record<AuthFailure, number>;

export function apiAuth(options: ApiAuthOptions): ApiAuth {
  const counts = noAuthFailures();

  const judge = (path: string, metadata: Metadata, call: ServerInterceptingCallInterface): Verdict => {
    const credentials = options.credentials();
    const [header] = metadata.get('authorization');
    let principal: ApiPrincipal | undefined;
    if (typeof header === 'string' && header) {
      const token = BEARER.exec(header)?.[1];
      principal = token === undefined ? undefined : credentials.byToken(token);
      if (!principal)
        return {
          ok: false,
          failure: AUTH_FAILURES.unknownToken,
          code: status.UNAUTHENTICATED,
          details: 'invalid API token (expected "authorization: Bearer <token>" with a known token)',
        };
    } else {
      const commonName = call.getAuthContext().sslPeerCertificate?.subject?.CN;
      if (typeof commonName === 'string' && commonName) {
        principal = credentials.byCertificate(commonName);
        if (!principal)
          return {
            ok: false,
            failure: AUTH_FAILURES.unknownCertificate,
            code: status.UNAUTHENTICATED,
            details: `client certificate "${commonName}" is not allowed to use the API`,
          };
      }
    }
    if (!principal)
      return {
        ok: false,
        failure: AUTH_FAILURES.noCredentials,
        code: status.UNAUTHENTICATED,
        details: 'missing credentials: send "authorization: Bearer <token>"',
      };
    const scope = options.scopeOf(path);
    if (scope === undefined)
      return {
        ok: false,
        failure: AUTH_FAILURES.unmappedMethod,
        code: status.PERMISSION_DENIED,
        details: `${path} has no scope assigned; refused`,
        principal: principal.name,
      };
    if (!hasScope(principal, scope))
      return {
        ok: false,
        failure: AUTH_FAILURES.missingScope,
        code: status.PERMISSION_DENIED,
        details: `${path} needs scope ${scope}, which "${principal.name}" does not have`,
        principal: principal.name,
      };
    return { ok: true, principal };
  };

  const interceptor: ServerInterceptor = (method, call) => {
    if (OPEN_METHODS.has(method.path)) return new ServerInterceptingCall(call);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const verdict = judge(method.path, metadata, call);
        if (verdict.ok) {
          // The handler (and any peer it forwards to) has no use for the token: it stops here.
          metadata.remove('authorization');
          metadata.set(PRINCIPAL_METADATA, verdict.principal.name);
          next(metadata);
          return;
        }
        const failures = ++counts[verdict.failure];
        options.log.warn(
          {
            method: method.path,
            reason: verdict.failure,
            principal: verdict.principal,
            peer: call.getPeer(),
            failures,
          },
          'API call refused',
        );
        call.sendStatus({ code: verdict.code, details: verdict.details, metadata: new Metadata() });
      })
      .build();
    return new ServerInterceptingCall(
      call,
      new ResponderBuilder().withStart((next) => next(listener)).build(),
    );
  };

  return { interceptor, failures: () => ({ ...counts }) };
}

export interface ApiCredentialsFile {
  current(): ApiCredentials;
  close(): void;
}

/**
 * The credentials file, read now (a mistake in it stops the start, naming the line) and again when it
 * changes; a changed file with a mistake is logged and the last good one stays in force.
 */
export function watchApiCredentials(
  file: string,
  knownScopes: ReadonlySet<string>,
  log: Logger,
  reloadIntervalMs = DEFAULT_RELOAD_INTERVAL_MS,
): ApiCredentialsFile {
  const initial = readFiles([file]);
  let current = parseApiCredentials(initial[0]!.toString('utf8'), file, knownScopes);
  log.info({ file, ...current.size }, 'API credentials loaded');
  const stop = pollFiles([file], initial, reloadIntervalMs, ([content]) => {
    try {
      current = parseApiCredentials(content!.toString('utf8'), file, knownScopes);
      log.info({ file, ...current.size }, 'API credentials reloaded');
    } catch (error) {
      log.warn({ err: error, file }, 'API credentials file changed but is invalid; the previous one stays');
    }
  });
  return { current: () => current, close: stop };
}
