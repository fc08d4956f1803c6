import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

export interface ToneServer {
  /** http://127.0.0.1:<port>/<name> for each served file. */
  url(name: string): string;
  close(): Promise<void>;
}

/** Serves files of dir over HTTP on loopback (PlayMedia takes URLs). */
export async function serveFiles(dir: string): Promise<ToneServer> {
  const server: Server = createServer((req, res) => {
    const name = (req.url ?? '').replace(/^\//, '');
    let body: Buffer;
    try {
      if (!/^[\w.-]+$/.test(name)) throw new Error('bad name');
      body = readFileSync(join(dir, name));
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'audio/wav' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The sine WAV maker lives in @callctl/testing; this name is kept for the full-stack benchmark. */
export { makeToneFile as makeTone } from '@callctl/testing';
