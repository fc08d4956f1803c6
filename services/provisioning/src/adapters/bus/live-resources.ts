// What carriers must allowlist, from the instance registry (libs/bus): the SIP listeners each live sip-edge
// announces and the media address and port range each live media-worker announces. Missing instances (not
// heard for the TTL) are left out: a carrier allowlists what serves now.
import type { Instance, LiveInstances } from '@callctl/bus';
import type { ResourceSource } from '../../app/ports.js';

const serving = (instances: LiveInstances): Instance[] => instances.list().filter((i) => !i.missing);

export function liveResources(sipEdges: LiveInstances, mediaWorkers: LiveInstances): ResourceSource {
  return {
    signalling: () =>
      serving(sipEdges).flatMap((i) => (i.resources?.sip ?? []).map((a) => ({ instance: i.name, ...a }))),
    media: () =>
      serving(mediaWorkers).flatMap((i) =>
        (i.resources?.media ?? []).map((a) => ({ instance: i.name, ...a })),
      ),
  };
}
