import { connect, createServer, isIPv4, type Server, type Socket } from 'node:net';
import { PgConversation, type PgMessage } from './pg-wire.js';

/**
 * What the proxy does, switchable at run time with {@link FaultProxy.mode}:
 * - `forward`: relays both ways.
 * - `stall`: a partition. Keeps every socket open but relays nothing, either way, and holds back
 *   closes; new connections are accepted and held too. Switching back to `forward` (or
 *   `drop-replies`) releases what was held, in order.
 * - `accept-and-close`: cuts the existing connections; new ones are accepted and closed at once
 *   (FIN after accept).
 * - `refuse`: like `accept-and-close`, but with a reset (RST): the client sees `ECONNRESET`.
 * - `silent`: a server that answers nobody. New connections are accepted and never answered (what
 *   they send is read and discarded, for their whole life, even after the mode changes); the
 *   existing ones are stalled.
 * - `drop-replies`: relays, but drops server→client chunks chosen by {@link DropReplies} and cuts
 *   both sides of their connection: a statement that ran (and committed) whose reply was lost.
 */
export type ProxyMode = 'forward' | 'stall' | 'accept-and-close' | 'refuse' | 'silent' | 'drop-replies';

/** Which server→client chunks `drop-replies` drops (each chunk is dropped when either says so). */
export interface DropReplies {
  /** The chance, from 0 to 1, that a chunk is dropped. Default 0. */
  probability?: number;
  /** Drops the chunk when this answers true. */
  when?: (connection: ProxyConnection, chunk: Buffer, messages: readonly PgMessage[]) => boolean;
}

/**
 * Sees every server→client chunk before it is relayed (in every relaying mode): `forward` relays it,
 * `drop-and-cut` drops it and cuts both sides of the connection. `messages` are the PostgreSQL
 * messages that end in the chunk (empty with `protocol: 'raw'`); see {@link isCommitReply}.
 */
export type ServerChunkHook = (connection: ProxyConnection, chunk: Buffer, messages: readonly PgMessage[]) => 'forward' | 'drop-and-cut';

/** One accepted connection, as the proxy reports it. */
export interface ProxyConnection {
  /** 1, 2, … in the order of accept. */
  readonly id: number;
  /** How the connection was handled when it was accepted. */
  readonly kind: 'relayed' | 'closed-at-accept' | 'black-hole';
  /** Bytes received from the client so far. */
  readonly clientBytes: number;
  /** Bytes received from the server so far (relayed or not). */
  readonly serverBytes: number;
  /** True once the server sent its first ReadyForQuery (PostgreSQL protocol only): the startup is over. */
  readonly ready: boolean;
  /** True once both sides are gone. */
  readonly closed: boolean;
}

/** Counters of a proxy since it started. */
export interface ProxyStats {
  /** Connections accepted. */
  accepted: number;
  /** Connections not yet closed. */
  open: number;
  /** Connections closed at accept (`accept-and-close`, `refuse`). */
  closedAtAccept: number;
  /** Connections accepted in `silent` mode. */
  blackHoled: number;
  /** Connections the proxy cut (mode changes, {@link FaultProxy.cutAll}, dropped replies). */
  cuts: number;
  /** Server→client chunks dropped. */
  droppedChunks: number;
  /** Bytes received from clients. */
  clientBytes: number;
  /** Bytes received from the server. */
  serverBytes: number;
}

/** Options of {@link startProxy}. */
export interface ProxyOptions {
  /** Where connections go: a loopback address and port. */
  target: { host: string; port: number };
  /** The loopback address to listen on. Default `127.0.0.1`. */
  listenHost?: string;
  /** The port to listen on. Default 0: a free one. */
  port?: number;
  /** The mode at start. Default `forward`. */
  mode?: ProxyMode;
  /** `postgres` (default) splits the traffic into PostgreSQL messages for the hooks; `raw` does not. */
  protocol?: 'postgres' | 'raw';
  /** See {@link ServerChunkHook}; can be changed later with {@link FaultProxy.onServerChunk}. */
  onServerChunk?: ServerChunkHook;
  /** The random source of `drop-replies` probabilities (give a seeded one to reproduce). Default `Math.random`. */
  random?: () => number;
}

/** A running proxy: see {@link startProxy}. */
export interface FaultProxy {
  /** The address it listens on. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** `baseUrl` (such as a `postgres://` URL) with its host and port replaced by the proxy's. */
  url(baseUrl: string): string;
  /** Switches the mode; `drop-replies` takes which chunks to drop. */
  mode(mode: ProxyMode, drop?: DropReplies): void;
  /** The current mode. */
  readonly currentMode: ProxyMode;
  /** Sets or removes the {@link ServerChunkHook}. */
  onServerChunk(hook: ServerChunkHook | undefined): void;
  /** Cuts every open connection (both sides) and answers how many; the mode stays. */
  cutAll(): number;
  /** Every connection accepted so far, in order. */
  connections(): readonly ProxyConnection[];
  /** A copy of the counters. */
  readonly stats: ProxyStats;
  /** Cuts everything and stops listening. */
  close(): Promise<void>;
}

/** Whether `host` is a loopback address (or `localhost`). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));
}

class Link implements ProxyConnection {
  clientBytes = 0;
  serverBytes = 0;
  closed = false;
  stalled = false;
  readonly toServer: Buffer[] = [];
  readonly toClient: Buffer[] = [];
  /** A side closed (passed on to the other side once no stall holds it back). */
  closing = false;
  /** The proxy cut it. */
  wasCut = false;
  readonly wire: PgConversation | undefined;

  constructor(
    readonly id: number,
    readonly kind: ProxyConnection['kind'],
    readonly client: Socket,
    readonly server: Socket | undefined,
    postgres: boolean,
  ) {
    this.wire = postgres ? new PgConversation() : undefined;
  }

  get ready(): boolean {
    return this.wire?.ready ?? false;
  }

  /** Destroys both sides at once (with a reset when `reset`). */
  cut(reset = false): void {
    for (const socket of [this.client, this.server]) {
      if (!socket || socket.destroyed) continue;
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}

/**
 * Starts a TCP proxy on a loopback address, in front of `target`, that injects network faults on
 * demand: see {@link ProxyMode}. For a PostgreSQL target it follows the protocol, so that a hook
 * can drop exactly the reply of a commit (`onServerChunk`, {@link isCommitReply}).
 *
 * @example
 * ```ts
 * const proxy = await startProxy({ target: { host: '127.0.0.1', port: 5432 } });
 * const sql = postgres(proxy.url(process.env.DATABASE_URL!));
 * proxy.mode('stall'); // queries hang
 * proxy.mode('forward'); // and go on
 * await proxy.close();
 * ```
 */
export async function startProxy(options: ProxyOptions): Promise<FaultProxy> {
  const listenHost = options.listenHost ?? '127.0.0.1';
  if (!isLoopback(listenHost)) throw new Error(`the proxy listens on loopback addresses only, not ${listenHost}`);
  if (!isLoopback(options.target.host)) throw new Error(`the proxy forwards to loopback addresses only, not ${options.target.host}`);
  const random = options.random ?? Math.random;
  const postgres = (options.protocol ?? 'postgres') === 'postgres';
  let current: ProxyMode = options.mode ?? 'forward';
  let drop: DropReplies = {};
  let hook = options.onServerChunk;
  const links: Link[] = [];
  const open = new Set<Link>();
  const stats: ProxyStats = {
    accepted: 0,
    open: 0,
    closedAtAccept: 0,
    blackHoled: 0,
    cuts: 0,
    droppedChunks: 0,
    clientBytes: 0,
    serverBytes: 0,
  };
  const relaying = () => current === 'forward' || current === 'drop-replies';

  const cut = (link: Link, reset = false) => {
    if (link.closed || link.wasCut) return false;
    link.wasCut = link.closing = true;
    stats.cuts++;
    link.cut(reset);
    return true;
  };

  const stall = (link: Link) => {
    link.stalled = true;
    link.client.pause();
    link.server?.pause();
  };

  const release = (link: Link) => {
    if (!link.stalled || link.closed) return;
    link.stalled = false;
    const { client, server } = link;
    if (!server) return;
    for (const chunk of link.toServer.splice(0)) server.write(chunk);
    for (const chunk of link.toClient.splice(0)) client.write(chunk);
    if (link.closing) {
      // a side closed during the stall: pass the close on now, after what was held
      for (const socket of [client, server]) if (!socket.destroyed) socket.end(() => socket.destroy());
      return;
    }
    client.resume();
    server.resume();
  };

  /** Relays `chunk` from `from` to `to`, honouring backpressure (never resuming a stalled link). */
  const relay = (link: Link, from: Socket, to: Socket, chunk: Buffer, held: Buffer[]) => {
    if (link.stalled) {
      held.push(chunk);
      return;
    }
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => {
        if (!link.stalled && !link.closed) from.resume();
      });
    }
  };

  const serverChunk = (link: Link, chunk: Buffer) => {
    link.serverBytes += chunk.length;
    stats.serverBytes += chunk.length;
    const messages = link.wire?.fromServer(chunk) ?? [];
    if (link.closing) return;
    let verdict = hook?.(link, chunk, messages) ?? 'forward';
    if (verdict === 'forward' && current === 'drop-replies') {
      const chance = drop.probability ?? 0;
      if ((chance > 0 && random() < chance) || drop.when?.(link, chunk, messages)) verdict = 'drop-and-cut';
    }
    if (verdict === 'drop-and-cut') {
      stats.droppedChunks++;
      cut(link);
      return;
    }
    relay(link, link.server as Socket, link.client, chunk, link.toClient);
  };

  const finished = (link: Link) => {
    if (link.closed) return;
    link.closed = true;
    open.delete(link);
    stats.open = open.size;
  };

  const accept = (client: Socket) => {
    stats.accepted++;
    const id = stats.accepted;
    client.on('error', () => {});
    if (current === 'accept-and-close' || current === 'refuse') {
      const link = new Link(id, 'closed-at-accept', client, undefined, false);
      links.push(link);
      stats.closedAtAccept++;
      client.on('close', () => finished(link));
      open.add(link);
      stats.open = open.size;
      if (current === 'refuse') client.resetAndDestroy();
      else {
        client.resume(); // read what the client sends, so that the close is a FIN and not a reset
        client.end();
        setTimeout(() => client.destroy(), 2000).unref();
      }
      return;
    }
    if (current === 'silent') {
      const link = new Link(id, 'black-hole', client, undefined, false);
      links.push(link);
      stats.blackHoled++;
      open.add(link);
      stats.open = open.size;
      client.on('data', (chunk: Buffer) => {
        link.clientBytes += chunk.length;
        stats.clientBytes += chunk.length;
      });
      client.on('close', () => finished(link));
      return;
    }
    const server = connect({ host: options.target.host, port: options.target.port, noDelay: true });
    server.on('error', () => {});
    client.setNoDelay(true); // without it, Nagle's algorithm and delayed ACKs add tens of ms to every round trip
    const link = new Link(id, 'relayed', client, server, postgres);
    links.push(link);
    open.add(link);
    stats.open = open.size;
    if (!relaying()) stall(link);
    client.on('data', (chunk: Buffer) => {
      link.clientBytes += chunk.length;
      stats.clientBytes += chunk.length;
      link.wire?.fromClient(chunk);
      if (!link.closing) relay(link, client, server, chunk, link.toServer);
    });
    server.on('data', (chunk: Buffer) => serverChunk(link, chunk));
    const gone = (other: Socket) => () => {
      if (link.stalled && !link.closing) {
        link.closing = true; // a partition hides the close until it heals
        return;
      }
      link.closing = true;
      if (!other.destroyed) other.end(() => other.destroy());
      if (client.destroyed && server.destroyed) finished(link);
    };
    client.on('close', gone(server));
    server.on('close', gone(client));
  };

  const listener: Server = createServer(accept);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port ?? 0, listenHost, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  const port = address.port;

  return {
    host: listenHost,
    port,
    url(baseUrl: string) {
      const url = new URL(baseUrl);
      url.host = listenHost.includes(':') ? `[${listenHost}]:${port}` : `${listenHost}:${port}`;
      return url.toString();
    },
    mode(mode: ProxyMode, dropReplies: DropReplies = {}) {
      current = mode;
      drop = dropReplies;
      for (const link of [...open]) {
        if (mode === 'accept-and-close' || mode === 'refuse') cut(link, mode === 'refuse');
        else if (link.kind !== 'relayed') continue;
        else if (mode === 'stall' || mode === 'silent') stall(link);
        else release(link);
      }
    },
    get currentMode() {
      return current;
    },
    onServerChunk(next: ServerChunkHook | undefined) {
      hook = next;
    },
    cutAll() {
      let count = 0;
      for (const link of [...open]) if (cut(link)) count++;
      return count;
    },
    connections: () => [...links],
    get stats() {
      return { ...stats };
    },
    close() {
      return new Promise<void>((resolve) => {
        listener.close(() => resolve());
        for (const link of [...open]) link.cut();
      });
    },
  };
}
