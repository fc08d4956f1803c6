// What a process tree is connected to, read from the system rather than assumed from flags: the peers of
// the TCP and UDP sockets (ss) held by a process and its descendants (/proc). The browser harness asserts
// with it that Chromium talked to loopback only.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** `root` and its descendants whose command name passes `keep`. */
export function processTree(root: number, keep: (command: string) => boolean = () => true): Set<number> {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // comm is in parentheses and may hold spaces: the fields after its closing one are space-separated.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      parents.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
      commands.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Set<number>();
  for (const pid of parents.keys()) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parents.get(p)) {
      if (p === root) {
        if (keep(commands.get(pid) ?? '')) tree.add(pid);
        break;
      }
    }
  }
  return tree;
}

/** Peer addresses ("host:port") of the connected TCP/UDP sockets of `pids` (unconnected ones have none). */
export function socketPeers(pids: ReadonlySet<number>): string[] {
  const lines = execFileSync('ss', ['-tunapH'], { encoding: 'utf8' }).split('\n');
  const peers: string[] = [];
  for (const line of lines) {
    const owners = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    if (!owners.some((pid) => pids.has(pid))) continue;
    const peer = line.trim().split(/\s+/)[5];
    if (peer && !/^(\*|0\.0\.0\.0|\[::\]|\[?::\]?):\*$/.test(peer) && !peer.endsWith(':*')) peers.push(peer);
  }
  return peers;
}
