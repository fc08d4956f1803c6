// sipp callers of sip-edge for the tests of one file: each calls the SIP engine with a test case as its
// Request-URI user (`[service]`), its SDP pointing at an RTP socket of the test; the test finds the call by
// that test case in InboundCallOffered and answers it through the SipEdge API.
import { join } from 'node:path';
import { RtpEndpoint, startSipp, type RunningSipp } from '@callctl/testing';
import { call, type EdgeUnderTest } from './edge-under-test.js';

const SCENARIOS = join(__dirname, '..', 'scenarios');

export interface CallerOptions {
  /** sipp `-key name value` pairs; `rtp_port` is always the caller's RTP socket. */
  keys?: Record<string, string>;
  /** More sipp arguments (e.g. `-trace_logs`). */
  args?: readonly string[];
}

export interface EdgeCallers {
  /** Starts a caller running `scenario` (a file of e2e/scenarios) for `testCase`. */
  caller(scenario: string, testCase: string, options?: CallerOptions): Promise<RunningSipp>;
  /** The InboundCallOffered of the caller of `testCase`. */
  offered(
    testCase: string,
  ): Promise<Awaited<ReturnType<EdgeUnderTest['fact']>> & { fact: { $case: 'inboundCallOffered' } }>;
  /** A caller answered by the platform (AnswerLeg, then its LegAnswered fact). */
  answered(
    scenario: string,
    testCase: string,
    options?: CallerOptions,
  ): Promise<{ sipp: RunningSipp; callId: string; legId: string }>;
  /** Stops the callers and closes their sockets (after each test). */
  stopAll(): Promise<void>;
}

/** `edge()`: the fixture, once beforeAll has started it. */
export function edgeCallers(edge: () => EdgeUnderTest): EdgeCallers {
  const sipps: RunningSipp[] = [];
  const endpoints: RtpEndpoint[] = [];
  const offered: EdgeCallers['offered'] = (testCase) =>
    edge().fact(
      'inboundCallOffered',
      (f) =>
        f.fact?.$case === 'inboundCallOffered' &&
        f.fact.inboundCallOffered.toUri.includes(`sip:${testCase}@`),
    );
  const caller: EdgeCallers['caller'] = async (scenario, testCase, options = {}) => {
    const rtp = await RtpEndpoint.open();
    endpoints.push(rtp);
    const keys = { rtp_port: String(rtp.port), ...options.keys };
    const sipp = await startSipp({
      scenario: join(SCENARIOS, scenario),
      remote: `127.0.0.1:${edge().engine.sipPort}`,
      service: testCase,
      args: [...Object.entries(keys).flatMap(([k, v]) => ['-key', k, v]), ...(options.args ?? [])],
    });
    sipps.push(sipp);
    return sipp;
  };
  return {
    caller,
    offered,
    async answered(scenario, testCase, options) {
      const t = edge();
      const sipp = await caller(scenario, testCase, options);
      const { callId, legId } = await offered(testCase);
      await call(t.client.answerLeg.bind(t.client) as never, { callId, legId, detectInbandDtmf: false });
      await t.fact('legAnswered', (f) => f.legId === legId);
      return { sipp, callId, legId };
    },
    async stopAll() {
      await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
      await Promise.all(endpoints.splice(0).map((e) => e.close()));
    },
  };
}
