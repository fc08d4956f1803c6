// A REGISTER flood from one source (issue 19, research §8: Kamailio's pike defaults, 16 requests per 2 s
// sample, then a ban): the SIP engine's front door lets the first requests through (the registrar answers
// them), bans the source at the threshold and drops everything from it silently from then on, while
// a device at another source registers with digest in the middle of the flood.
import { join } from 'node:path';
import { startSipp, waitFor } from '@callctl/testing';
import { flood } from '../support/floods.js';
import { DOMAIN } from '../support/devices-under-test.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(90_000);

const FLOODER = '127.0.0.5';
const DEVICE = '127.0.0.6';
/** The engine's defaults (SIP_FLOOD_MAX_REQUESTS, SIP_FLOOD_SAMPLE_MS), said here. */
const MAX_REQUESTS = 16;
const SAMPLE_MS = 2000;
/** 60 REGISTERs a second for 4 s: the threshold is crossed within the first 600 ms. */
const FLOOD_PER_SECOND = 60;
const FLOOD_SECONDS = 4;
const SCENARIOS = join(__dirname, '..', 'scenarios');

describe('a REGISTER flood from one source', () => {
  let platform: PlatformUnderTest | undefined;
  const p = () => platform!;

  beforeAll(async () => {
    platform = await startPlatform(
      { env: { DIGEST_ALGORITHMS: 'MD5' } },
      {
        provisioning: true,
        engineEnv: {
          SIP_FLOOD_MAX_REQUESTS: String(MAX_REQUESTS),
          SIP_FLOOD_SAMPLE_MS: String(SAMPLE_MS),
          SIP_FLOOD_EXEMPT_CIDRS: '127.0.0.1/32',
        },
      },
    );
    await p().provisioning!.api.putDomain(DOMAIN);
    await p().provisioning!.api.putUser(DOMAIN, 'carol', 'carol-e2e-secret');
  });
  afterAll(() => platform?.close());

  it('is banned after the threshold and meets silence, while a device at another source registers', async () => {
    const sipPort = p().edge.engine.sipPort;
    const flooding = flood('register', sipPort, FLOOD_PER_SECOND, FLOOD_SECONDS, FLOODER);
    // Well into the flood, with the flooder banned: a device registers from its own address.
    await waitFor(
      'the flooder banned',
      () => /flood ban: source sent too many requests/.test(p().edge.engine.output()),
      5000,
      50,
    );
    const device = await startSipp({
      scenario: join(SCENARIOS, 'device-register-digest.xml'),
      remote: `127.0.0.1:${sipPort}`,
      service: 'carol',
      args: [
        ...['-i', DEVICE],
        ...['-key', 'domain', DOMAIN],
        ...['-au', 'carol', '-ap', 'carol-e2e-secret', '-auth_uri', DOMAIN],
      ],
      timeoutMs: 10_000,
    });
    p().edge.expectSippSucceeded(await device.result);
    const report = await flooding;

    expect(report.sent).toBeGreaterThanOrEqual(FLOOD_PER_SECOND * FLOOD_SECONDS * 0.9);
    // The requests under the threshold were answered (404: the flood names no platform domain), nothing
    // after the ban. The samples are aligned windows, as pike's timer ticks: a flood that starts late in one
    // has up to the threshold answered there and again in the next before the ban.
    expect(report.responses).toBeGreaterThan(0);
    expect(report.responses).toBeLessThanOrEqual(2 * MAX_REQUESTS);
    expect(report.lastResponseMs).toBeLessThan(SAMPLE_MS);
    const ban = p()
      .edge.engine.output()
      .split('\n')
      .find((line) => line.includes('flood ban: source sent too many requests'));
    expect(ban).toContain(`"address":"${FLOODER}"`);

    const bindings = await p().provisioning!.api.listRegistrations(DOMAIN, 'carol');
    expect(bindings.map((b) => b.sourceAddress)).toEqual([DEVICE]);
    // Still banned: a request from the flooder alone gets nothing either.
    const again = await flood('register', sipPort, 5, 1, FLOODER);
    expect(again.responses).toBe(0);
  });
});
