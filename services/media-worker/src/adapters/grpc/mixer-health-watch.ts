import { status, type ChannelCredentials } from '@grpc/grpc-js';
import { health } from '@callctl/proto';
import type { MixerWatch, WatchMixer } from '../../app/operations/mixer-routes.js';

const { SERVING } = health.HealthCheckResponse_ServingStatus;

/**
 * Watches a mixer through grpc.health.v1 Watch (the whole server's status): the stream breaks as soon as
 * the mixer's process dies (its TCP connection resets), which no polling would see as fast. Lost, once, when
 * the stream fails or ends, or the mixer says it no longer serves (it drains on SIGTERM); a mixer that
 * cannot be reached at all is lost too, so no route waits on a mixer that never answered.
 */
export function mixerHealthWatch(credentials: ChannelCredentials): WatchMixer {
  return (address, onLost) => {
    const client = new health.HealthClient(address, credentials);
    let over = false;
    const lose = (reason: string) => {
      if (over) return;
      over = true;
      call.cancel();
      client.close();
      onLost(reason);
    };
    const call = client.watch({ service: '' });
    call.on('data', (response: health.HealthCheckResponse) => {
      if (response.status !== SERVING) lose(`mixer health ${response.status}`);
    });
    call.on('error', (error: { code?: number; message: string }) => {
      if (error.code !== status.CANCELLED) lose(`mixer health watch: ${error.message}`);
    });
    call.on('end', () => lose('mixer health watch ended'));
    const watch: MixerWatch = {
      stop: () => {
        if (over) return;
        over = true;
        call.cancel();
        client.close();
      },
    };
    return watch;
  };
}
