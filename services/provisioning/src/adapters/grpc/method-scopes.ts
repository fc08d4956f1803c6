// The scope each Provisioning method needs with API_AUTH=token (libs/service api-scopes): reads need
// provisioning:read, changes provisioning:write. Not calls:*: an application that places calls has no
// business changing trunks or reading the registrar.
import { provisioning } from '@callctl/proto';
import { API_SCOPES, scopesByPath, type ApiScope, type ScopeTable } from '@callctl/service';

const read = API_SCOPES.provisioningRead;
const write = API_SCOPES.provisioningWrite;

const PROVISIONING: ScopeTable<typeof provisioning.ProvisioningService> = {
  putTrunk: write,
  getTrunk: read,
  listTrunks: read,
  deleteTrunk: write,
  putDomain: write,
  listDomains: read,
  deleteDomain: write,
  putUser: write,
  getUser: read,
  listUsers: read,
  deleteUser: write,
  putRoute: write,
  listRoutes: read,
  deleteRoute: write,
  resolveRoute: read,
  listAudit: read,
  listRegistrations: read,
  getMediaResources: read,
};

export const PROVISIONING_METHOD_SCOPES: ReadonlyMap<string, ApiScope> = new Map(
  scopesByPath(provisioning.ProvisioningService, PROVISIONING),
);

export const provisioningScopeOf = (path: string): ApiScope | undefined =>
  PROVISIONING_METHOD_SCOPES.get(path);
