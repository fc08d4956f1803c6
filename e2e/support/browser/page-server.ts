// The browser tests' web server on 127.0.0.1: one page and its script, the softphone (e2e/browser-page)
// bundled with JsSIP from node_modules by esbuild at start, so that the page loads nothing from anywhere
// else. An http://127.0.0.1 origin is a secure context, which getUserMedia and WebRTC require.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';

const PAGE_ENTRY = join(__dirname, '..', '..', 'browser-page', 'softphone.ts');

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>callctl softphone</title></head>
<body><p>callctl test softphone</p><script src="/softphone.js"></script></body></html>`;

export interface PageServer {
  /** http://127.0.0.1:<port>/ */
  url: string;
  /** Every path asked for, in order (what the page loaded). */
  requests: string[];
  close(): Promise<void>;
}

/** Bundles the softphone script (once per server) and serves the page. */
export async function startPageServer(): Promise<PageServer> {
  const bundle = await build({
    entryPoints: [PAGE_ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.contents;
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.push(path);
    if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE_HTML);
    else if (path === '/softphone.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
