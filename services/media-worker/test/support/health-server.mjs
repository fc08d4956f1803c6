// A stand-in for a mixer's gRPC server, in a process of its own so a test can kill it: grpc.health.v1 only
// (libs/service's server with no service), its port on stdout.
import process from 'node:process';
import { startGrpcServer } from '@callctl/service';
import { createLogger } from '@callctl/logging';

const server = await startGrpcServer({
  log: createLogger({ service: 'fake-mixer', level: 'silent' }),
  host: '127.0.0.1',
  port: 0,
  services: [],
});
process.stdout.write(`${server.port}\n`);
