// Asks DNS servers one question at a time over UDP and keeps what RFC 3263 needs: the records and their
// TTLs (Node's own resolver hides the TTLs of NAPTR and SRV answers, so the messages are built and read
// here with dns-packet). Each server gets `timeoutMs`; a timeout, SERVFAIL or REFUSED moves on to the next.
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import * as packet from 'dns-packet';
import type { Logger } from '@callctl/logging';
import type { Peer } from '../transport/transport.js';
import { DnsError, type DnsAnswer, type DnsRecordType, type DnsRecordTypes } from './dns-records.js';

export interface DnsClientOptions {
  servers: Peer[];
  /** One server's deadline for one question. */
  timeoutMs: number;
  log: Logger;
}

/** The parts of a decoded reply this client reads (dns-packet's types leave out `rcode`). */
type Reply = packet.DecodedPacket & { rcode?: string };

export class DnsClient {
  constructor(private readonly options: DnsClientOptions) {}

  get servers(): readonly Peer[] {
    return this.options.servers;
  }

  /** The answer of the first server that gives one; throws DnsError when none does. */
  async query<T extends DnsRecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const failures: string[] = [];
    for (const server of this.options.servers) {
      try {
        const reply = await this.ask(server, name, type);
        const rcode = reply.rcode ?? 'NOERROR';
        if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') return answerOf(reply, type);
        failures.push(`${server.address}:${server.port} ${rcode}`);
      } catch (err) {
        failures.push(`${server.address}:${server.port} ${(err as Error).message}`);
      }
    }
    if (failures.length === 0) throw new DnsError('no DNS servers to ask');
    this.options.log.warn({ name, type, failures }, 'dns query failed on every server');
    throw new DnsError(`${type} ${name}: ${failures.join('; ')}`);
  }

  private ask(server: Peer, name: string, type: DnsRecordType): Promise<Reply> {
    const id = randomInt(0x10000);
    const query = packet.encode({
      type: 'query',
      id,
      flags: packet.RECURSION_DESIRED,
      questions: [{ type, name, class: 'IN' }],
    });
    const socket = createSocket(isIPv6(server.address) ? 'udp6' : 'udp4');
    // A question in flight must not hold a stopping engine up for its timeout.
    socket.unref();
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new DnsError(`no answer in ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      ).unref();
      const finish = (outcome: Reply | Error) => {
        clearTimeout(timer);
        socket.close();
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      socket.on('error', (err) => finish(err));
      socket.on('message', (data, from) => {
        // Only the server asked, with our id and question, may answer (a spoofed reply must guess both).
        if (from.address !== server.address || from.port !== server.port) return;
        let reply: Reply;
        try {
          reply = packet.decode(data) as Reply;
        } catch {
          return;
        }
        const question = reply.questions?.[0];
        if (reply.id !== id || question?.type !== type || question.name.toLowerCase() !== name.toLowerCase())
          return;
        finish(reply);
      });
      socket.send(query, server.port, server.address, (err) => err && finish(err));
    });
  }
}

/** The records of the asked type (a CNAME chain before them counts towards the TTL) and the TTL to keep. */
function answerOf<T extends DnsRecordType>(reply: Reply, type: T): DnsAnswer<T> {
  const answers = reply.answers ?? [];
  const records = answers.filter((a) => a.type === type).map((a) => recordOf(a, type));
  if (records.length > 0) {
    const ttls = answers.filter((a) => a.type === type || a.type === 'CNAME').map((a) => ttlOf(a));
    return { records, ttlS: Math.min(...ttls) };
  }
  // RFC 2308: a negative answer is kept for min(SOA TTL, SOA minimum) when the server sends its SOA.
  const soa = (reply.authorities ?? []).find((a) => a.type === 'SOA');
  const ttlS = soa && soa.type === 'SOA' ? Math.min(ttlOf(soa), soa.data.minimum ?? 0) : 0;
  return { records: [], ttlS };
}

const ttlOf = (answer: packet.Answer) => ('ttl' in answer && answer.ttl !== undefined ? answer.ttl : 0);

function recordOf<T extends DnsRecordType>(answer: packet.Answer, type: T): DnsRecordTypes[T] {
  if (type === 'NAPTR' && answer.type === 'NAPTR') {
    const d = answer.data;
    return {
      order: d.order,
      preference: d.preference,
      flags: d.flags,
      services: d.services,
      regexp: d.regexp,
      replacement: d.replacement,
    } as DnsRecordTypes[T];
  }
  if (type === 'SRV' && answer.type === 'SRV') {
    const d = answer.data;
    return {
      priority: d.priority ?? 0,
      weight: d.weight ?? 0,
      port: d.port,
      target: d.target,
    } as DnsRecordTypes[T];
  }
  return (answer as { data: string }).data as DnsRecordTypes[T];
}
