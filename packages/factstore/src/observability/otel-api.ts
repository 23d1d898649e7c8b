import type * as OpenTelemetryApi from '@opentelemetry/api';

/** The `@opentelemetry/api` module, when it is installed. */
export type OtelApi = typeof OpenTelemetryApi;

let loaded: { readonly api: OtelApi | undefined } | undefined;

/**
 * Loads `@opentelemetry/api` (an optional peer of factstore) once per process, synchronously,
 * when the first store is constructed; `undefined` when it is not installed or cannot be loaded.
 * Nothing imports it otherwise: without it factstore never loads it and its telemetry is off.
 *
 * @param load how to load the module (tests pass one that fails); given one, the result is not cached
 */
export function loadOpenTelemetry(load?: () => unknown): OtelApi | undefined {
  if (load) return checked(load);
  // a synchronous require, so that the store's constructor can decide at once; the ESM build gets one from createRequire
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= { api: checked(() => require('@opentelemetry/api')) };
  return loaded.api;
}

/** The module `load` returns, if it looks like the API (it has `trace`, `metrics` and `context`). */
function checked(load: () => unknown): OtelApi | undefined {
  let api: unknown;
  try {
    api = load();
  } catch {
    return undefined;
  }
  const candidate = api as Partial<OtelApi> | null | undefined;
  if (!candidate || typeof candidate.trace?.getTracer !== 'function' || typeof candidate.metrics?.getMeter !== 'function') return undefined;
  if (typeof candidate.context?.active !== 'function') return undefined;
  return candidate as OtelApi;
}
