// A real SIP phone for the e2e tests: baresip 1.0.0 (Debian baresip-core), headless on loopback, as the
// transfer research found it works: its own HOME and config folder, SIP and RTP on 127.0.0.1 only
// (`net_interface 127.0.0.1`, else it puts another interface's address in its SDP), auto-answer, PCMU at
// 8 kHz, a tone WAV (sox, 16-bit) as its microphone and a null speaker, and the sndfile module dumping what
// it decoded to a WAV per call, which the test reads while the call runs (phone-process.ts). It is driven
// over ctrl_tcp: netstring JSON commands, whose replies and the phone's events come on the same socket.
// stop() is SIGKILL: the tests never need its goodbye, and a kill cannot hang.
//
// With `account`, it is a device of a platform domain: it registers as `<name>@<domain>` with digest
// (auth_user/auth_pass) through the platform's SIP port as its outbound proxy, where every request it sends
// goes (INVITEs to `sip:bob@<domain>` or `sip:+44...@<domain>` included), and answers the platform's 407s.
// baresip 1.0 (libre 1.1) digest is MD5 only, and it gives up on a 401/407 that carries any other
// algorithm's challenge, even after an MD5 one ("Register: Function not implemented"): a platform its
// phones register to must offer MD5 alone (sip-edge DIGEST_ALGORITHMS=MD5).
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { freePort, isBound, requireBinary, waitFor } from '@callctl/testing';
import { phoneFolder, recentToneRatioOf, startPhoneProcess, type PhoneOptions } from './phone-process.js';

const COMMAND_TIMEOUT_MS = 5_000;
/** `reginfo`'s line of a registered account, its colours removed: `> sip:alice@pbx.test   OK   Expires 60s`. */
const REGISTERED = /\sOK\s/;
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
/** A decoded-audio dump not written for this long is no longer written (see recentToneRatio). */
const STALE_DUMP_MS = 500;

/** One event of the phone (ctrl_tcp), e.g. CALL_ESTABLISHED with the call's id and its peer's URI. */
export interface BaresipEvent {
  type: string;
  /** baresip's id of the call (not a SIP Call-ID). */
  id?: string;
  peeruri?: string;
  /** e.g. the reason of a CALL_CLOSED ("Call transfered", "Connection reset by user"). */
  param?: string;
  direction?: string;
  /** Date.now() at arrival. */
  at: number;
}

/** A platform device's account: `<user>@<domain>`, registered with digest through `registrar`. */
export interface BaresipAccount {
  /** The user it registers as (two phones of one user each have a name, i.e. a folder, of their own). */
  user: string;
  domain: string;
  password: string;
  /** host:port of the platform's SIP engine: its outbound proxy and registrar. */
  registrar: string;
  /** Registration expiry it asks for and refreshes within (s). @default 60 */
  expiresS?: number;
  /** `manual`: it rings (180) and waits for `answer`, e.g. the contact that loses a fork. @default 'auto' */
  answerMode?: 'auto' | 'manual';
  /**
   * `tcp`/`tls`: it registers (and calls) over a TCP or TLS connection it opens to the registrar; for TLS
   * give `caFile`. @default 'udp'
   */
  transport?: 'udp' | 'tcp' | 'tls';
  /**
   * `srtp-mand`: SDES-SRTP only (its offers are RTP/SAVP with a=crypto; it refuses offers without keys).
   * `dtls_srtp`: DTLS-SRTP keys (UDP/TLS/RTP/SAVP with a fingerprint), as browsers key their media.
   * @default none: plain RTP
   */
  mediaenc?: 'srtp-mand' | 'dtls_srtp';
  /** Its only audio codecs, e.g. `opus/48000/2` (the opus module is loaded for it). @default PCMU */
  audioCodecs?: string;
}

export interface BaresipOptions extends PhoneOptions {
  account?: BaresipAccount;
  /** CA certificate (PEM) it trusts for TLS (sip_cafile). */
  caFile?: string;
}

/** Registration expiry a device asks for by default: sip-edge's REGISTRAR_MIN_EXPIRES_S default. */
const DEVICE_EXPIRES_S = 60;

export interface Baresip {
  readonly name: string;
  /** Its SIP address: `sip:<name>@127.0.0.1:<port>`, or with an account `sip:<user>@<domain>`. */
  readonly uri: string;
  readonly sipPort: number;
  /** The frequency of the tone it sends in every call. */
  readonly toneHz: number;
  /** Every event so far, in order. */
  readonly events: BaresipEvent[];
  /** The first event of that type (after `since`, a Date.now()) satisfying `match`. */
  event(
    type: string,
    match?: (e: BaresipEvent) => boolean,
    timeoutMs?: number,
    since?: number,
  ): Promise<BaresipEvent>;
  /** Waits for the registration's 200 (REGISTER_OK); the failure names a REGISTER_FAIL and its reason. */
  registered(timeoutMs?: number): Promise<void>;
  /** Answers the ringing call (answerMode `manual`). */
  answer(): Promise<void>;
  /** Sends INVITE to `uri` (returns once baresip took the command). */
  dial(uri: string): Promise<void>;
  /** Re-INVITE a=sendonly on the current call. */
  hold(): Promise<void>;
  /** Re-INVITE a=sendrecv on the current call. */
  resume(): Promise<void>;
  /** Blind transfer of the current call: REFER with `Refer-To: <uri>` (baresip has no attended transfer). */
  transfer(uri: string): Promise<void>;
  hangup(): Promise<void>;
  /** Any ctrl_tcp command, e.g. `command('listcalls')`; rejects when baresip answers ok=false. */
  command(command: string, params?: string): Promise<string>;
  /** The WAV of what it decoded in its most recent call (sndfile dump), or undefined before any call. */
  heardFile(): string | undefined;
  /**
   * Goertzel ratio of `hz` in the last `ms` of what its most recent call decoded. Throws when baresip no
   * longer writes that (baresip 1.0 stops at the call's first offer/answer that is not sendrecv: a hold,
   * its own or the platform's): what it hears from then on cannot be known, so test it at the other end
   * or hold another phone.
   */
  recentToneRatio(hz: number, ms?: number): number;
  /** Its stdout: the SIP trace (`-s`) and its log, for failure messages. */
  output(): string;
  /** SIGKILL. */
  stop(): Promise<void>;
}

/** The line of its `accounts` file: a loopback address of its own, or a device of a platform domain. */
function accountLine(name: string, sipPort: number, account: BaresipAccount | undefined): string {
  if (!account) return `<sip:${name}@127.0.0.1:${sipPort}>;regint=0;answermode=auto`;
  return [
    `<sip:${account.user}@${account.domain}>`,
    `auth_user=${account.user}`,
    `auth_pass=${account.password}`,
    `outbound="sip:${account.registrar}${account.transport && account.transport !== 'udp' ? `;transport=${account.transport}` : ''}"`,
    `regint=${account.expiresS ?? DEVICE_EXPIRES_S}`,
    `answermode=${account.answerMode ?? 'auto'}`,
    ...(account.mediaenc ? [`mediaenc=${account.mediaenc}`] : []),
    ...(account.audioCodecs ? [`audio_codecs=${account.audioCodecs}`] : []),
  ].join(';');
}

export async function startBaresip(options: BaresipOptions): Promise<Baresip> {
  const { name, toneHz, account } = options;
  const binary = requireBinary('baresip', 'baresip-core');
  const { root, home, tone, sipPort, rtp } = await phoneFolder(options, 100);
  const config = join(root, 'config');
  const dumps = join(root, 'snd');
  for (const d of [config, dumps]) mkdirSync(d, { recursive: true });
  const controlPort = await freePort();
  writeFileSync(
    join(config, 'config'),
    [
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      // It opens resolver sockets even for numeric addresses: keep them on loopback.
      'dns_server 127.0.0.1:53',
      `audio_source aufile,${tone}`,
      // aufile is a source only; aubridge to nowhere is a null speaker (the dump still records what it plays).
      'audio_player aubridge,nowhere',
      'audio_alert aubridge,nowhere',
      'ausrc_srate 8000',
      'auplay_srate 8000',
      'ausrc_channels 1',
      'auplay_channels 1',
      `rtp_ports ${rtp.min}-${rtp.max}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module aubridge.so',
      'module sndfile.so',
      'module ctrl_tcp.so',
      ...(account?.mediaenc === 'srtp-mand' ? ['module srtp.so'] : []),
      ...(account?.mediaenc === 'dtls_srtp' ? ['module dtls_srtp.so'] : []),
      // RTCP on the RTP port, as browsers send it (a WebRTC answer requires it).
      ...(account?.mediaenc === 'dtls_srtp' ? ['rtcp_mux yes'] : []),
      ...(account?.audioCodecs?.toLowerCase().includes('opus') ? ['module opus.so'] : []),
      ...(options.caFile ? [`sip_cafile ${options.caFile}`] : []),
      'module_tmp uuid.so',
      'module_tmp account.so',
      'module_app menu.so',
      `ctrl_tcp_listen 127.0.0.1:${controlPort}`,
      `snd_path ${dumps}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(config, 'accounts'), `${accountLine(name, sipPort, account)}\n`);

  const proc = await startPhoneProcess(
    `baresip ${name}`,
    binary,
    ['-4', '-s', '-f', config],
    home,
    () => isBound('udp', sipPort) && isBound('tcp', controlPort),
  );
  const control = await new Promise<Socket>((resolve, reject) => {
    const s = connect(controlPort, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  }).catch(async (error: unknown) => {
    await proc.kill();
    throw error;
  });

  const events: BaresipEvent[] = [];
  const replies = new Map<string, { ok: boolean; data: string }>();
  let buffered = Buffer.alloc(0);
  control.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    // Netstrings: <length>:<json>,
    for (;;) {
      const colon = buffered.indexOf(':');
      if (colon < 0) return;
      const length = Number(buffered.toString('ascii', 0, colon));
      if (buffered.length < colon + 1 + length + 1) return;
      const message = JSON.parse(buffered.toString('utf8', colon + 1, colon + 1 + length)) as Record<
        string,
        unknown
      >;
      buffered = buffered.subarray(colon + 1 + length + 1);
      if (message.response === true)
        replies.set(String(message.token), { ok: message.ok === true, data: String(message.data ?? '') });
      else if (message.event === true)
        events.push({
          type: String(message.type),
          ...(typeof message.id === 'string' ? { id: message.id } : {}),
          ...(typeof message.peeruri === 'string' ? { peeruri: message.peeruri } : {}),
          ...(typeof message.param === 'string' ? { param: message.param } : {}),
          ...(typeof message.direction === 'string' ? { direction: message.direction } : {}),
          at: Date.now(),
        });
    }
  });
  control.on('error', () => undefined); // the phone killed under a test

  let tokens = 0;
  const command: Baresip['command'] = async (cmd, params = '') => {
    const token = `t${++tokens}`;
    const json = JSON.stringify({ command: cmd, params, token });
    control.write(`${Buffer.byteLength(json)}:${json},`);
    const reply = await waitFor(
      `baresip ${name}: reply to ${cmd} ${params}`,
      () => replies.get(token),
      COMMAND_TIMEOUT_MS,
    );
    if (!reply.ok) throw new Error(`baresip ${name} refused ${cmd} ${params}: ${reply.data}`);
    return reply.data;
  };

  const heardFile = () => {
    const decoded = readdirSync(dumps)
      .filter((f) => f.endsWith('-dec.wav'))
      .sort();
    return decoded.length === 0 ? undefined : join(dumps, decoded[decoded.length - 1]!);
  };

  const failure = (error: unknown) =>
    new Error(
      `${String(error)}\nbaresip events: ${events.map((e) => `${e.type}(${e.param ?? ''})`).join(', ')}\n` +
        proc.output().slice(-4000),
    );
  const event: Baresip['event'] = (type, match = () => true, timeoutMs = 20_000, since = 0) =>
    waitFor(
      `baresip ${name} event ${type}`,
      () => events.find((e) => e.type === type && e.at >= since && match(e)),
      timeoutMs,
    ).catch((error: unknown) => {
      throw failure(error);
    });

  return {
    name,
    uri: account ? `sip:${account.user}@${account.domain}` : `sip:${name}@127.0.0.1:${sipPort}`,
    sipPort,
    toneHz,
    events,
    event,
    registered: (timeoutMs = 10_000) =>
      waitFor(
        `baresip ${name} registered`,
        async () => {
          const failed = events.find((e) => e.type === 'REGISTER_FAIL');
          if (failed) throw new Error(`baresip ${name} failed to register: ${failed.param ?? ''}`);
          // Its REGISTER_OK may come before the control socket is connected: ask for the status too.
          return (
            events.some((e) => e.type === 'REGISTER_OK') ||
            REGISTERED.test((await command('reginfo')).replace(ANSI_COLOUR, ' '))
          );
        },
        timeoutMs,
        100,
      ).then(
        () => undefined,
        (error: unknown) => {
          throw failure(error);
        },
      ),
    answer: async () => void (await command('accept')),
    dial: async (uri) => void (await command('dial', uri)),
    hold: async () => void (await command('hold')),
    resume: async () => void (await command('resume')),
    transfer: async (uri) => void (await command('transfer', uri)),
    hangup: async () => void (await command('hangup')),
    command,
    heardFile,
    recentToneRatio: (hz, ms = 1000) => {
      const file = heardFile();
      if (!file) return 0;
      // The dump grows every 20 ms while RTP comes in. baresip 1.0's audio_decoder_set() restarts the
      // receive side when an offer/answer's direction is not sendrecv and flushes its decode filters, and
      // aufilt_setup() puts none back while the encode ones exist (fixed in baresip 2.0: commit 0669c841,
      // "audio: fix aufilt_setup update handling", #1498). It still receives and plays the RTP (a capture
      // shows a held baresip's music arriving), but the dump stops for the rest of the call, and its last
      // second would say what it heard long ago: refuse to answer rather than answer that.
      if (Date.now() - statSync(file).mtimeMs > STALE_DUMP_MS)
        throw new Error(
          `baresip ${name} stopped recording what it hears (${file}); after a re-INVITE it answered?`,
        );
      return recentToneRatioOf(file, hz, ms);
    },
    output: () => proc.output(),
    stop: async () => {
      control.destroy();
      await proc.kill();
    },
  };
}
