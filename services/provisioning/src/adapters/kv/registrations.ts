// The registrar's bindings and trunks' registration status, as every sip-edge writes them to NATS KV
// (libs/provisioning kv-view.ts stores): read only here.
import type { BindingStore, TrunkStatusStore } from '@callctl/provisioning';
import type { Registrations } from '../../app/ports.js';

export const registrationsOf = (bindings: BindingStore, status: TrunkStatusStore): Registrations => ({
  bindings: (aor, nowMs) => bindings.list(aor, nowMs),
  trunkStatus: (trunk) => status.get(trunk),
});
