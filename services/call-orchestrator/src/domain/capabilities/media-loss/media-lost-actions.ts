// Apart from media-loss.decide.ts because the configuration reads it: config.ts loads before telemetry
// starts, and the decide module loads @callctl/proto and with it gRPC, whose clients would then be made
// before the gRPC instrumentation could wrap them (no CLIENT spans for the orchestrator's calls).

/** What the platform does to a leg whose media session vanished. */
export const MEDIA_LOST_ACTIONS = { hangup: 'hangup', record: 'record' } as const;
export type MediaLostAction = (typeof MEDIA_LOST_ACTIONS)[keyof typeof MEDIA_LOST_ACTIONS];
