import { Type } from '@sinclair/typebox';

/** What factstore needs of an OpenTelemetry `TracerProvider` (any SDK's provider is one). */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): unknown;
}

/** What factstore needs of an OpenTelemetry `MeterProvider` (any SDK's provider is one). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): unknown;
}

/**
 * Where a store sends its spans and metrics (the `telemetry` option of every store). Without
 * it, a store uses the global providers of `@opentelemetry/api` (`trace.setGlobalTracerProvider`,
 * `metrics.setGlobalMeterProvider`, or an SDK's `start()`), when that package is installed; when it
 * is not, the store has no telemetry and loads nothing.
 */
export interface TelemetryOptions {
  /** The provider of the store's tracer (instrumentation scope `factstore`), instead of the global one. */
  tracerProvider?: TracerProviderLike;
  /** The provider of the store's meter (instrumentation scope `factstore`), instead of the global one. */
  meterProvider?: MeterProviderLike;
}

/** TypeBox schema of {@link TelemetryOptions}: providers are objects with `getTracer` / `getMeter`. */
export const TelemetryOptions = Type.Object(
  {
    tracerProvider: Type.Optional(
      Type.Unsafe<TracerProviderLike>(Type.Object({ getTracer: Type.Function([], Type.Unknown()) }, { description: 'a TracerProvider' })),
    ),
    meterProvider: Type.Optional(
      Type.Unsafe<MeterProviderLike>(Type.Object({ getMeter: Type.Function([], Type.Unknown()) }, { description: 'a MeterProvider' })),
    ),
  },
  { additionalProperties: false },
);

/** TypeBox schema of options made of `telemetry` alone (a store with no other options, like `MemoryStore`). */
export const TelemetryOnlyOptions = Type.Object({ telemetry: Type.Optional(TelemetryOptions) }, { additionalProperties: false });
