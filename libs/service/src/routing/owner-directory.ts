// Which instance of a peer service owns a thing (a call's legs, a media session, a recording): the one that
// created it holds it in memory (its SIP engine's dialogs, its rtpengine's session, its open WAV file), so
// every command on it must reach that instance. The directory remembers the owner of each thing it saw
// assigned, and finds the owner of anything else by asking every live instance (`probe`), once.
//
// An owner that died keeps its entry: the instance comes back under the same name (a container restarted
// in its pod, as Kubernetes does) and takes its things over from its journal, so commands wait for it
// (failing as unavailable meanwhile) rather than go to an instance that knows nothing of them.
import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { PEER_CHANNEL_OPTIONS } from '../peer-call.js';

/** An instance of the peer service: its stable name and the host:port of its gRPC. */
export interface PeerInstance {
  readonly name: string;
  readonly address: string;
  /** Reached for the work it holds, given no new work. */
  readonly draining?: boolean;
  /** Not heard lately (killed, cut off): it may come back and hold work, but cannot be asked now. */
  readonly missing?: boolean;
}

/** The instances alive now (@callctl/bus watchInstances). */
export interface PeerInstances {
  list(): PeerInstance[];
}

/** The owner, or why none was found: nobody has it, or some instance did not answer. */
export type OwnerLookup =
  { readonly owner: PeerInstance } | { readonly owner?: undefined; readonly unreachable: readonly string[] };

/** What one instance said to `probe`: it holds the thing, it does not, or it did not answer. */
export type ProbeAnswer = 'owner' | 'not-owner' | 'unreachable';

/**
 * The owner from every candidate's answer: the first that holds it. Without one, the instances that did
 * not answer (empty: nobody holds it).
 */
export function ownerFromAnswers(
  candidates: readonly PeerInstance[],
  answers: readonly ProbeAnswer[],
): OwnerLookup {
  const index = answers.indexOf('owner');
  if (index >= 0) return { owner: candidates[index]! };
  return { unreachable: candidates.filter((_, i) => answers[i] === 'unreachable').map((c) => c.name) };
}

export interface OwnerDirectoryOptions {
  instances: PeerInstances;
  /**
   * The address of "any instance" (a Kubernetes Service, or the one local instance), used while no
   * instance has announced itself.
   */
  fallbackAddress: string;
  /** Whether the instance at `address` holds `key`; a rejection counts as no answer. */
  probe(address: string, key: string): Promise<boolean>;
  /** Owners remembered; the least recently assigned are forgotten first. @default 50000 */
  capacity?: number;
}

/** The pseudo-instance of the fallback address. */
const ANY = '';

/**
 * The live instances, or the "any instance" address (a Kubernetes Service, the one local instance) as a
 * nameless pseudo-instance while none is alive.
 */
export function liveOrFallback(instances: PeerInstances, fallbackAddress: string): PeerInstance[] {
  const live = instances.list().filter((i) => !i.missing);
  return live.length > 0 ? live : [{ name: ANY, address: fallbackAddress }];
}

/**
 * Hands out the given instances in turn, so that new work is spread evenly; one that drains gets none
 * (unless every one drains: work is not refused for that).
 */
export class Turns {
  private turn = 0;

  next(candidates: readonly PeerInstance[]): PeerInstance {
    const taking = candidates.filter((c) => !c.draining);
    const from = taking.length > 0 ? taking : candidates;
    return from[this.turn++ % from.length]!;
  }
}

export class OwnerDirectory {
  private readonly owners = new Map<string, PeerInstance>();
  private readonly capacity: number;
  private readonly turns = new Turns();

  constructor(private readonly o: OwnerDirectoryOptions) {
    this.capacity = o.capacity ?? 50_000;
  }

  /** The live instances, or the fallback address when none is alive. */
  candidates(): PeerInstance[] {
    return liveOrFallback(this.o.instances, this.o.fallbackAddress);
  }

  /** Instances that died lately without saying so: they may hold things nobody alive can answer for. */
  missing(): string[] {
    return this.o.instances
      .list()
      .filter((i) => i.missing)
      .map((i) => i.name);
  }

  /** A new thing goes to the next live instance in turn, which is remembered as its owner. */
  assign(key: string): PeerInstance {
    const chosen = this.turns.next(this.candidates());
    this.remember(key, chosen);
    return chosen;
  }

  remember(key: string, owner: PeerInstance): void {
    if (owner.name === ANY) return;
    this.owners.delete(key);
    this.owners.set(key, owner);
    if (this.owners.size > this.capacity) this.owners.delete(this.owners.keys().next().value!);
  }

  /** Forgets the owner of a thing that is gone (a mixer's room deleted, or lost with its mixer). */
  forget(key: string): void {
    this.owners.delete(key);
  }

  /** The remembered owner, at its current address when it announced a new one. */
  known(key: string): PeerInstance | undefined {
    const owner = this.owners.get(key);
    if (!owner) return undefined;
    return this.o.instances.list().find((i) => i.name === owner.name) ?? owner;
  }

  /**
   * The owner of `key`: remembered, the only instance there is, or the live instance that holds it. An
   * instance missing lately cannot be asked: it counts as one that did not answer.
   */
  async find(key: string): Promise<OwnerLookup> {
    const known = this.known(key);
    if (known) return { owner: known };
    const candidates = this.candidates();
    const missing = this.missing();
    if (candidates.length === 1 && missing.length === 0) return { owner: candidates[0]! };
    const answers = await Promise.all(
      candidates.map((c) =>
        this.o.probe(c.address, key).then(
          (holds): ProbeAnswer => (holds ? 'owner' : 'not-owner'),
          (): ProbeAnswer => 'unreachable',
        ),
      ),
    );
    const lookup = ownerFromAnswers(candidates, answers);
    if (lookup.owner) this.remember(key, lookup.owner);
    else if (missing.length > 0) return { unreachable: [...lookup.unreachable, ...missing] };
    return lookup;
  }
}

/** A generated grpc-js client class. */
export type GrpcClientClass<C> = new (
  address: string,
  credentials: ChannelCredentials,
  options: Partial<ChannelOptions>,
) => C;

/** One gRPC client per address, made on first use. */
export class PeerClients<C extends { close(): void }> {
  private readonly clients = new Map<string, C>();

  constructor(private readonly make: (address: string) => C) {}

  /**
   * Clients of a generated class over `channelCredentials` (internal mTLS when set, else plain), found
   * again within a second after a peer restarts (PEER_CHANNEL_OPTIONS).
   */
  static of<C extends { close(): void }>(
    Client: GrpcClientClass<C>,
    channelCredentials: ChannelCredentials = credentials.createInsecure(),
  ): PeerClients<C> {
    return new PeerClients((address) => new Client(address, channelCredentials, PEER_CHANNEL_OPTIONS));
  }

  at(address: string): C {
    let client = this.clients.get(address);
    if (!client) this.clients.set(address, (client = this.make(address)));
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
