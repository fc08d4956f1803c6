// A public API port (CallControl's siblings: Callback, Provisioning): the gRPC server with the public API's
// authentication when the service's config gives a credentials file (API_AUTH=token), with every scope of
// the public API known (one file serves every public port).
import { apiAuth, watchApiCredentials } from './api-auth.js';
import { KNOWN_API_SCOPES } from './api-scopes.js';
import { startGrpcServer, type GrpcServerOptions, type RunningGrpcServer } from './grpc-server.js';

export interface PublicGrpcServerOptions extends Omit<GrpcServerOptions, 'interceptors'> {
  /** API_AUTH=token: the credentials file (config apiTokensFile). @default no authentication */
  apiTokensFile?: string | undefined;
  /** The scope each method (`/pkg.Service/Method`) needs. */
  scopeOf: (path: string) => string | undefined;
  /** How often the credentials file is checked for changes. @default libs/service's */
  apiTokensReloadMs?: number | undefined;
}

/** Starts the server; its close() also stops watching the credentials file. */
export async function startPublicGrpcServer(options: PublicGrpcServerOptions): Promise<RunningGrpcServer> {
  const { apiTokensFile, scopeOf, apiTokensReloadMs, ...grpc } = options;
  if (!apiTokensFile) return startGrpcServer(grpc);
  const log = options.log.child({ module: 'api-auth' });
  const file = watchApiCredentials(apiTokensFile, KNOWN_API_SCOPES, log, apiTokensReloadMs);
  const auth = apiAuth({ credentials: file.current, scopeOf, log });
  const server = await startGrpcServer({ ...grpc, interceptors: [auth.interceptor] }).catch(
    (error: unknown) => {
      file.close();
      throw error;
    },
  );
  return {
    ...server,
    async close() {
      await server.close();
      file.close();
    },
  };
}
