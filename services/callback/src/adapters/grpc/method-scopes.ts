// The scope each Callback method needs with API_AUTH=token (libs/service api-scopes: the vocabulary every
// public port shares). Reads (a callback, the list, the events, the counters) need callbacks:read; what
// starts or releases calls needs callbacks:write. It is not calls:write: a callback application drives calls
// only through this service, which holds its own rights to CallControl (CALLCTL_API_TOKEN).
import { callback } from '@callctl/proto';
import { API_SCOPES, scopesByPath, type ApiScope, type ScopeTable } from '@callctl/service';

const CALLBACK: ScopeTable<typeof callback.CallbackService> = {
  getCallback: API_SCOPES.callbacksRead,
  listCallbacks: API_SCOPES.callbacksRead,
  watchCallbackEvents: API_SCOPES.callbacksRead,
  getCallbackStats: API_SCOPES.callbacksRead,
  startCallback: API_SCOPES.callbacksWrite,
  cancelCallback: API_SCOPES.callbacksWrite,
};

export const CALLBACK_METHOD_SCOPES: ReadonlyMap<string, ApiScope> = new Map(
  scopesByPath(callback.CallbackService, CALLBACK),
);

export const callbackScopeOf = (path: string): ApiScope | undefined => CALLBACK_METHOD_SCOPES.get(path);
