// A media-stream endpoint to try streams with (`make dev` prints how): a plain ws:// server on loopback that
// prints every message the stream gateway sends, `media` summarised once a second per channel (frames,
// bytes, chunk gaps). `--echo` plays the first channel's audio back (a bidirectional stream: the caller
// hears itself about a second late) and sends a `mark` every 5 s, which comes back once played.
//   node deploy/local/stream-receiver.js [--port 8765] [--echo]
const { join } = require('node:path');
const { parseArgs } = require('node:util');
// The gateway's own ws (8.x), not whichever version another package hoisted to the root.
const { WebSocketServer } = require(
  require.resolve('ws', { paths: [join(__dirname, '..', '..', 'services', 'stream-gateway')] }),
);

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.CALLCTL_STREAM_RECEIVER_PORT ?? '8765' },
    echo: { type: 'boolean' },
  },
});
const say = (line) => process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);

const server = new WebSocketServer({ host: '127.0.0.1', port: Number(values.port) });
server.on('listening', () =>
  say(`listening on ws://127.0.0.1:${values.port} (any path)${values.echo ? ', echoing' : ''}`),
);
server.on('connection', (ws, request) => {
  say(`connection ${request.url} authorization=${request.headers.authorization ? 'yes' : 'no'}`);
  /** Per channel: frames and bytes since the last summary, the last chunk, chunks missing. */
  const channels = new Map();
  let lastSequence = 0;
  let echoChannel;
  let marks = 0;
  const summary = setInterval(() => {
    for (const [channel, c] of channels) {
      if (c.frames === 0) continue;
      say(
        `media ${channel}: ${c.frames} frames, ${c.bytes} bytes, chunk ${c.chunk}, ${c.missing} chunks missing so far`,
      );
      c.frames = c.bytes = 0;
    }
    if (values.echo && echoChannel && ++marks % 5 === 0)
      ws.send(JSON.stringify({ event: 'mark', mark: { name: `mark-${marks / 5}` } }));
  }, 1000);
  ws.on('message', (data) => {
    let message;
    try {
      message = JSON.parse(String(data));
    } catch {
      return say(`not JSON: ${String(data).slice(0, 80)}`);
    }
    if (message.sequenceNumber !== lastSequence + 1)
      say(`sequence jumped from ${lastSequence} to ${message.sequenceNumber}`);
    lastSequence = message.sequenceNumber;
    if (message.event !== 'media') return say(`${message.event} ${JSON.stringify(message)}`);
    const { channel, chunk, payload } = message.media;
    const c = channels.get(channel) ?? { frames: 0, bytes: 0, chunk: 0, missing: 0 };
    channels.set(channel, c);
    if (c.chunk && chunk !== c.chunk + 1) c.missing += chunk - c.chunk - 1;
    c.chunk = chunk;
    c.frames++;
    c.bytes += Buffer.from(payload, 'base64').length;
    echoChannel ??= channel;
    if (values.echo && channel === echoChannel)
      ws.send(JSON.stringify({ event: 'media', media: { payload } }));
  });
  ws.on('close', (code, reason) => {
    clearInterval(summary);
    say(`closed ${code} ${String(reason)}`);
  });
});
