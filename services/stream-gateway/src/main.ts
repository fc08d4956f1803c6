import { runService } from '@callctl/service/run-service';
import { readConfig } from './config.js';

// Composition root (runService): configuration first (a bad variable exits 78 with one line), then the
// gateway. Issue 18's contract stub: the gateway's work fills in `start`.
runService({
  name: 'stream-gateway',
  loadConfig: () => readConfig(process.env),
  async start(_config, { log }) {
    log.error('the stream gateway is not implemented yet');
    throw new Error('the stream gateway is not implemented yet');
  },
});
