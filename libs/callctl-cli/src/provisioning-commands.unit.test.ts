// `callctl trunk|domain|user|route|resources|audit|registrations` to Provisioning requests, at the
// provisioning service's address; what the command line can check is refused before any request.
import { provisioning } from '@callctl/proto';
import type { CommandLineContext } from './commands.js';
import { run, usageError } from '../test/support/parse.js';

const invocation = (line: string, env: CommandLineContext['env'] = {}) => run(line, env).invocation;
const { SipTransport } = provisioning;

describe('callctl trunk', () => {
  it('put makes a PutTrunk with sources, gateways, numbers, credentials, registration and caller id', () => {
    expect(
      invocation(
        'trunk put carrier-a --source 192.0.2.10 --source 198.51.100.0/24 ' +
          '--gateway gw1.example.net --gateway 192.0.2.11:5080;transport=tcp;priority=1;weight=3 ' +
          '--number +4420* --username acct --password s3cret --register --aor sip:acct@example.net ' +
          '--expires 600 --from-number +442071234567 --strip-plus --prefix 99',
      ),
    ).toEqual({
      kind: 'provisioning',
      address: '127.0.0.1:50059',
      method: 'putTrunk',
      request: {
        trunk: {
          name: 'carrier-a',
          inboundSources: ['192.0.2.10', '198.51.100.0/24'],
          gateways: [
            {
              host: 'gw1.example.net',
              port: 0,
              transport: SipTransport.SIP_TRANSPORT_UNSPECIFIED,
              priority: 0,
              weight: 0,
            },
            {
              host: '192.0.2.11',
              port: 5080,
              transport: SipTransport.SIP_TRANSPORT_TCP,
              priority: 1,
              weight: 3,
            },
          ],
          numberPatterns: ['+4420*'],
          outboundAuth: { username: 'acct', password: 's3cret' },
          registration: {
            enabled: true,
            aor: 'sip:acct@example.net',
            registrarUri: '',
            expiresS: 600,
            contactUser: '',
          },
          callerId: { fromNumber: '+442071234567', fromDomain: '', stripPlus: true, prefix: '99' },
        },
      },
    });
  });

  it('get, list and delete make their requests, at the configured address', () => {
    expect(
      invocation('trunk get carrier-a', { CALLCTL_PROVISIONING_ADDRESS: '10.0.0.5:7000' }),
    ).toMatchObject({
      address: '10.0.0.5:7000',
      method: 'getTrunk',
      request: { name: 'carrier-a' },
    });
    expect(invocation('trunk list', { CALLCTL_PROVISIONING_GRPC_PORT: '6000' })).toMatchObject({
      address: '127.0.0.1:6000',
      method: 'listTrunks',
    });
    expect(invocation('trunk delete carrier-a')).toMatchObject({
      method: 'deleteTrunk',
      request: { name: 'carrier-a' },
    });
  });

  it('refuses bad input before any request', () => {
    expect(usageError('trunk put Carrier --source 192.0.2.1').message).toMatch(/name: expected 1-63/);
    expect(usageError('trunk put c --source 10.0.0.300').message).toMatch(/^--source:/);
    expect(usageError('trunk put c --gateway gw:99999').message).toMatch(/--gateway port: expected 1-65535/);
    expect(usageError('trunk put c --gateway gw;transport=sctp').message).toMatch(
      /--gateway: unknown parameter/,
    );
    expect(usageError('trunk put c --gateway gw --number 44x').message).toMatch(/^--number:/);
    expect(usageError('trunk put c --gateway gw --register --username u').message).toMatch(
      /--register needs --aor/,
    );
    expect(usageError('trunk put c').message).toMatch(/needs --source, --gateway or both/);
  });
});

describe('callctl domain, user, route', () => {
  it('makes domain and user requests from user@domain', () => {
    expect(invocation('domain put pbx.example.com')).toMatchObject({
      method: 'putDomain',
      request: { domain: { name: 'pbx.example.com' } },
    });
    expect(invocation('domain list')).toMatchObject({ method: 'listDomains' });
    expect(invocation('domain delete pbx.example.com')).toMatchObject({ method: 'deleteDomain' });
    expect(
      invocation(
        'user put alice@pbx.example.com --password alice-pass --display-name Alice --codec PCMU --codec opus',
      ),
    ).toMatchObject({
      method: 'putUser',
      request: {
        user: {
          username: 'alice',
          domain: 'pbx.example.com',
          password: 'alice-pass',
          displayName: 'Alice',
          allowedCodecs: ['PCMU', 'opus'],
        },
      },
    });
    expect(invocation('user get alice@pbx.example.com')).toMatchObject({
      method: 'getUser',
      request: { username: 'alice', domain: 'pbx.example.com' },
    });
    expect(invocation('user list pbx.example.com')).toMatchObject({ request: { domain: 'pbx.example.com' } });
    expect(invocation('user delete alice@pbx.example.com')).toMatchObject({ method: 'deleteUser' });
    expect(invocation('registrations alice@pbx.example.com')).toMatchObject({
      method: 'listRegistrations',
      request: { username: 'alice', domain: 'pbx.example.com' },
    });
  });

  it('makes route requests and resolves targets', () => {
    expect(invocation('route put uk +44* carrier-a --priority 5')).toMatchObject({
      method: 'putRoute',
      request: { route: { name: 'uk', pattern: '+44*', trunk: 'carrier-a', priority: 5 } },
    });
    expect(invocation('route list')).toMatchObject({ method: 'listRoutes' });
    expect(invocation('route delete uk')).toMatchObject({ method: 'deleteRoute', request: { name: 'uk' } });
    expect(invocation('route resolve tel:+442071234567')).toMatchObject({
      method: 'resolveRoute',
      request: { target: 'tel:+442071234567' },
    });
  });

  it('makes resources and audit requests', () => {
    expect(invocation('resources')).toMatchObject({ method: 'getMediaResources', request: {} });
    expect(invocation('audit --kind trunk --key carrier-a --limit 10 --before 77')).toMatchObject({
      method: 'listAudit',
      request: { kind: 'trunk', key: 'carrier-a', limit: 10, beforeId: 77 },
    });
  });

  it('refuses bad input before any request', () => {
    expect(usageError('user put alice --password alice-pass').message).toMatch(/expected user@domain/);
    expect(usageError('user put alice@pbx.example.com --password short').message).toMatch(
      /--password: expected 8-128/,
    );
    expect(usageError('route put uk 44abc carrier-a').message).toMatch(/^pattern:/);
    expect(usageError('audit --kind call').message).toMatch(/--kind: expected trunk, domain, user or route/);
    expect(usageError('audit --limit 5000').message).toMatch(/--limit: expected 1-1000/);
  });
});
