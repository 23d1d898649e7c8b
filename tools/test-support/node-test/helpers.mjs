// Small helpers of the node:test files.
import { createServer, connect } from 'node:net';

/** The PostgreSQL of the tests (with-postgres.mjs sets DATABASE_URL, starting a throwaway server when it was not given). */
export function databaseUrl() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run `pnpm test` (with-postgres.mjs starts a server)');
  return url;
}

/** The host and port of a URL, as a proxy target. */
export function targetOf(url) {
  const { hostname, port } = new URL(url);
  return { host: hostname === 'localhost' ? '127.0.0.1' : hostname, port: Number(port || 5432) };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How `promise` stands after `ms`: { state: 'pending' } or { state: 'fulfilled', value } or
 * { state: 'rejected', error }. The promise's rejection is handled either way.
 */
export function within(promise, ms) {
  const outcome = promise.then(
    (value) => ({ state: 'fulfilled', value }),
    (error) => ({ state: 'rejected', error }),
  );
  return Promise.race([outcome, sleep(ms).then(() => ({ state: 'pending' }))]);
}

/** An echo server on 127.0.0.1 that records what each connection sent. */
export async function echoServer() {
  const received = [];
  const sockets = new Set();
  const server = createServer((socket) => {
    const entry = { bytes: 0, closed: false };
    received.push(entry);
    sockets.add(socket);
    socket.on('data', (chunk) => {
      entry.bytes += chunk.length;
      socket.write(chunk);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      entry.closed = true;
      sockets.delete(socket);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    received,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A raw client: connects to `port`, collects what arrives, and records how it ended
 * ({ ended, closed, error }).
 */
export function rawClient(port) {
  const socket = connect(port, '127.0.0.1');
  const client = { socket, data: '', ended: false, closed: false, error: undefined };
  socket.on('data', (chunk) => (client.data += chunk.toString()));
  socket.on('end', () => (client.ended = true));
  socket.on('error', (error) => (client.error = error));
  socket.on('close', () => (client.closed = true));
  client.connected = new Promise((resolve) => socket.once('connect', resolve));
  return client;
}

/** Waits until `condition()` is true (throws after `ms`). */
export async function until(condition, ms = 5000, what = 'the condition') {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${ms} ms`);
    await sleep(5);
  }
}
