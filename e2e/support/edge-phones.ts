// sipp phones of sip-edge tests whose media the test checks: each at an RTP socket of its own (-key
// rtp_port), a caller calling the SIP engine as `name` (its Request-URI user) or a callee listening, with
// its -trace_logs log readable (the lines a scenario logs with <log message="label ..."/>).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RtpEndpoint, startSipp, type RunningSipp } from '@callctl/testing';
import type { facts, sipEdge } from '@callctl/proto';
import { call, type EdgeUnderTest } from './edge-under-test.js';

const SCENARIOS = join(__dirname, '..', 'scenarios');

export interface EdgePhone {
  rtp: RtpEndpoint;
  sipp: RunningSipp;
  /** The whole log so far ('' before sipp wrote it). */
  log(): string;
  /** The logged lines starting with `label`, without it. */
  logged(label: string): string[];
}

export interface EdgePhones {
  /** Starts sipp running `scenario` (a file of e2e/scenarios); `keys` as `-key name value`. */
  phone(name: string, scenario: string, asCaller: boolean, keys?: Record<string, string>): Promise<EdgePhone>;
  /**
   * A caller (by default one that follows re-INVITEs) bridged by dialling through to a callee: PlaceCall of
   * leg `<callId>-b` with bridge_with_leg_id, resolved once the caller is answered.
   */
  bridgedByDialling(name: string, calleeScenario: string, callerScenario?: string): Promise<DialledThrough>;
  /** Stops the phones of the test and closes their sockets (after each test). */
  stopAll(): Promise<void>;
}

export interface DialledThrough {
  a: EdgePhone;
  b: EdgePhone;
  callId: string;
  legA: string;
  legB: string;
  /** The caller's InboundCallOffered fact. */
  offer: facts.SipFact & { fact: Extract<facts.SipFact['fact'], { $case: 'inboundCallOffered' }> };
  placed: sipEdge.PlaceCallResponse;
}

export function edgePhones(edge: () => EdgeUnderTest): EdgePhones {
  const running: EdgePhone[] = [];
  const phones: EdgePhones = {
    async phone(name, scenario, asCaller, keys = {}) {
      const t = edge();
      const rtp = await RtpEndpoint.open();
      const logFile = join(t.dir, `${name}.log`);
      const sipp = await startSipp({
        scenario: join(SCENARIOS, scenario),
        ...(asCaller ? { remote: `127.0.0.1:${t.engine.sipPort}`, service: name } : {}),
        args: [
          '-key',
          'rtp_port',
          String(rtp.port),
          ...Object.entries(keys).flatMap(([k, v]) => ['-key', k, v]),
          '-trace_logs',
          '-log_file',
          logFile,
        ],
      });
      const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
      const logged = (label: string) =>
        log()
          .split('\n')
          .filter((line) => line.startsWith(`${label} `))
          .map((line) => line.slice(label.length + 1).trim());
      const phone = { rtp, sipp, log, logged };
      running.push(phone);
      return phone;
    },
    async bridgedByDialling(
      name,
      calleeScenario,
      callerScenario = 'uac-answered-follows-reinvites-expect-bye.xml',
    ) {
      const t = edge();
      const a = await phones.phone(`${name}-a`, callerScenario, true);
      const offer = await t.fact(
        'inboundCallOffered',
        (f) =>
          f.fact?.$case === 'inboundCallOffered' &&
          f.fact.inboundCallOffered.toUri.includes(`sip:${name}-a@`),
      );
      const { callId, legId: legA } = offer;
      const b = await phones.phone(`${name}-b`, calleeScenario, false);
      const legB = `${callId}-b`;
      const placed = await call<sipEdge.PlaceCallRequest, sipEdge.PlaceCallResponse>(
        t.client.placeCall.bind(t.client) as never,
        {
          callId,
          legId: legB,
          toUri: `sip:callee@127.0.0.1:${b.sipp.port}`,
          fromUri: '',
          ringTimeoutMs: 0,
          bridgeWithLegId: legA,
          headers: {},
        },
      );
      await t.fact('legAnswered', (f) => f.legId === legA);
      return { a, b, callId, legA, legB, offer, placed };
    },
    async stopAll() {
      await Promise.all(
        running.splice(0).map(async ({ sipp, rtp }) => {
          await sipp.stop(1000);
          await rtp.close();
        }),
      );
    },
  };
  return phones;
}
