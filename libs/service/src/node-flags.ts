/**
 * Node flags every service process runs with (`make dev`, the end-to-end and benchmark launchers). A
 * service allocates many short-lived objects per message (SIP, gRPC, NATS, database rows), and with V8's
 * default young generation it spends a large share of its time in scavenges. Larger semi-spaces cut the
 * platform's CPU per call by about 15 % in the full-stack benchmark (BENCH=full-stack, measured side by
 * side on 2026-11-23), for a few tens of MiB more memory per process.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
