// A sip.js user agent in Node, as a child process the test drives (sip.js is an ES module only, which the
// CommonJS test run cannot load in-process): it registers over SIP over WebSocket with digest, calls, and
// answers calls at once. Its media is the test's: the SessionDescriptionHandler offers and answers with a
// fixed plain-RTP SDP (an RtpEndpoint the test owns) and reports the far end's SDP so the endpoint sends
// there. The WebSocket is the `ws` package's (Node has no global one before v22); WSS trusts the CA given in
// NODE_EXTRA_CA_CERTS. Protocol: JSON lines, commands on stdin, events on stdout.
//
// argv[2]: JSON of SipJsUaConfig. Commands: {"cmd":"call","uri":...}, {"cmd":"hangup"}, {"cmd":"unregister"},
// {"cmd":"stop"}. Events: registered, unregistered, register-failed, incoming, established, remote-sdp (sdp),
// terminated, error (message).
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import {
  Inviter,
  Registerer,
  RegistererState,
  SessionState,
  UserAgent,
  type Invitation,
  type Session,
  type SessionDescriptionHandler,
} from 'sip.js';

export interface SipJsUaConfig {
  /** ws://127.0.0.1:port or wss://127.0.0.1:port */
  server: string;
  /** sip:user@domain */
  aor: string;
  password: string;
  /** The SDP it offers and answers with (the test's RTP endpoint). */
  sdp: string;
  /** RFC 5626 CRLF keep-alive interval in seconds; 0: none. */
  keepAliveS: number;
  /** Registration expiry asked for, in seconds. */
  expiresS: number;
  /** Ask for RFC 5626 outbound (reg-id and +sip.instance in Contact, Supported: outbound). */
  outbound: boolean;
}

type UaEvent = { event: string } & Record<string, unknown>;

function emit(event: UaEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** Offers/answers the fixed SDP; the remote SDP goes to the test, which points its RTP endpoint at it. */
class FixedSdp implements SessionDescriptionHandler {
  constructor(private readonly sdp: string) {}
  close(): void {}
  getDescription(): Promise<{ body: string; contentType: string }> {
    return Promise.resolve({ body: this.sdp, contentType: 'application/sdp' });
  }
  hasDescription(contentType: string): boolean {
    return contentType === 'application/sdp';
  }
  setDescription(sdp: string): Promise<void> {
    emit({ event: 'remote-sdp', sdp });
    return Promise.resolve();
  }
  sendDtmf(): boolean {
    return false;
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as SipJsUaConfig;
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
  const uri = UserAgent.makeURI(config.aor);
  if (!uri) throw new Error(`bad AOR ${config.aor}`);
  let session: Session | undefined;
  const track = (s: Session) => {
    session = s;
    s.stateChange.addListener((state) => {
      if (state === SessionState.Established) emit({ event: 'established' });
      if (state === SessionState.Terminated) {
        emit({ event: 'terminated' });
        if (session === s) session = undefined;
      }
    });
  };
  const ua = new UserAgent({
    uri,
    authorizationUsername: uri.user,
    authorizationPassword: config.password,
    transportOptions: { server: config.server, keepAliveInterval: config.keepAliveS },
    sessionDescriptionHandlerFactory: () => new FixedSdp(config.sdp),
    logBuiltinEnabled: false,
    delegate: {
      onInvite: (invitation: Invitation) => {
        emit({ event: 'incoming', from: invitation.remoteIdentity.uri.toString() });
        track(invitation);
        invitation.accept().catch((err: Error) => emit({ event: 'error', message: err.message }));
      },
    },
  });
  await ua.start();
  const registerer = new Registerer(ua, {
    expires: config.expiresS,
    ...(config.outbound ? { regId: 1, instanceId: '4f6a7a0e-1d5b-4a2c-9d3e-0c1f2a3b4c5d' } : {}),
  });
  registerer.stateChange.addListener((state) => {
    if (state === RegistererState.Registered) emit({ event: 'registered' });
    if (state === RegistererState.Unregistered) emit({ event: 'unregistered' });
  });
  await registerer.register({
    requestDelegate: {
      onAccept: (response) => emit({ event: 'register-accepted', message: response.message.toString() }),
      onReject: (response) => emit({ event: 'register-failed', status: response.message.statusCode }),
    },
  });

  const commands = createInterface({ input: process.stdin });
  for await (const line of commands) {
    const command = JSON.parse(line) as { cmd: string; uri?: string };
    try {
      if (command.cmd === 'call') {
        const target = UserAgent.makeURI(command.uri ?? '');
        if (!target) throw new Error(`bad URI ${command.uri ?? ''}`);
        const inviter = new Inviter(ua, target);
        track(inviter);
        await inviter.invite();
      } else if (command.cmd === 'hangup') {
        const s = session;
        if (s?.state === SessionState.Established) await s.bye();
        else if (s instanceof Inviter) await s.cancel();
      } else if (command.cmd === 'unregister') {
        await registerer.unregister();
      } else if (command.cmd === 'stop') {
        await ua.stop();
        process.exit(0);
      }
    } catch (err) {
      emit({ event: 'error', message: (err as Error).message });
    }
  }
}

main().catch((err: Error) => {
  emit({ event: 'error', message: err.message });
  process.exit(1);
});
