import { AsyncLocalStorage } from 'node:async_hooks';
import type { Attributes, Context, Counter, Histogram, Meter, ObservableResult, Span, Tracer } from '@opentelemetry/api';
import { ConditionalAppendConflictError } from '../errors.js';
import type { EventRecord } from '../event.js';
import type { TelemetryOptions } from './options.js';
import { loadOpenTelemetry, type OtelApi } from './otel-api.js';
import { errorCode, type StoreStatus, type StreamStatus } from './status.js';

/** The instrumentation scope of every tracer and meter factstore asks for. */
export const INSTRUMENTATION_SCOPE = 'factstore';

/** `SpanStatusCode.ERROR` and `SpanKind.INTERNAL` of the API (plain numbers: no need to load it for them). */
const STATUS_ERROR = 2;
const KIND_INTERNAL = 0;

/** The span of the append being submitted, for the group commit that takes it (see {@link Telemetry.appendScope}). */
export interface AppendTrace {
  readonly telemetry: Telemetry;
  /** The append's span, when it records (none while no SDK is registered, or when it was not sampled). */
  readonly span: Span | undefined;
}

/** The API's global tracer provider (`ProxyTracerProvider`): the registered SDK's, or nothing behind it yet. */
interface ProxyTracerProvider {
  getDelegateTracer(name: string): Tracer | undefined;
}

/** Which stream a handler call or a replay belongs to. */
export interface StreamInfo {
  readonly id: number;
  readonly name: string | null;
  readonly kind: 'live' | 'durable' | 'projection';
}

/**
 * One store's spans and metrics, through `@opentelemetry/api`. {@link EventStoreBase} makes one
 * per store; `on` is false when the API is not installed and no provider was passed, and then
 * nothing here is called (the store runs exactly the code it runs without telemetry).
 *
 * Spans: `factstore.append`, `factstore.append_if` (a conflict is the span event
 * `factstore.conflict`), `factstore.query`, `factstore.group_commit` (linked to the appends it
 * took), `factstore.replay` (a durable registration's replay) and `factstore.handle` (one handler
 * call, a child of the replay during replay). Metrics: `factstore.append.duration` (s),
 * `factstore.append.conflicts`, `factstore.group_commit.size`, `factstore.delivery.latency` (s,
 * commit → handler start), and the observable gauges `factstore.stream.lag` (events) and
 * `factstore.stream.stalled` (s) of every durable stream.
 */
export class Telemetry {
  /** The telemetry of a store without OpenTelemetry: off. */
  static readonly off = new Telemetry(undefined, '', {});

  /**
   * The span of the append whose backend call runs inside it: `GroupCommit.submit` reads it, so
   * that the group's span links to its appends and its metrics reach the right store. Entered only
   * when telemetry is on.
   */
  static readonly appendScope = new AsyncLocalStorage<AppendTrace>();

  /** Whether spans and metrics are recorded (the API is loaded, or providers were passed). */
  readonly on: boolean;
  private readonly api: OtelApi | undefined;
  /** The tracer, once there is one that records (see {@link tracerNow}). */
  private tracer: Tracer | undefined;
  /** The API's global provider when no provider was passed: its tracer is taken once an SDK registers behind it. */
  private readonly proxy: ProxyTracerProvider | undefined;
  /** The attributes of `factstore.append.duration` for an append that did not fail, by kind. */
  private readonly succeeded: Readonly<Record<'append' | 'appendIf', Attributes>>;
  private readonly meter: Meter | undefined;
  private readonly store: Attributes;
  /** {@link streamAttributes} of each stream seen. */
  private readonly streams = new WeakMap<StreamInfo, Attributes>();
  private readonly appendDuration: Histogram | undefined;
  private readonly conflicts: Counter | undefined;
  private readonly groupSize: Histogram | undefined;
  private readonly deliveryLatency: Histogram | undefined;
  private unobserve: (() => void) | undefined;

  /**
   * @param api the loaded `@opentelemetry/api`, or undefined when it is not installed
   * @param store the value of the `factstore.store` attribute (the store's class name)
   */
  constructor(api: OtelApi | undefined, store: string, options: TelemetryOptions) {
    this.api = api;
    this.store = { 'factstore.store': store };
    const tracerProvider = options.tracerProvider ?? api?.trace.getTracerProvider();
    const meterProvider = options.meterProvider ?? api?.metrics.getMeterProvider();
    // the global provider is a proxy: with no SDK behind it, its tracer makes spans that record
    // nothing, at a cost to every append and query; none is started until an SDK registers
    const proxied =
      options.tracerProvider === undefined &&
      typeof (tracerProvider as Partial<ProxyTracerProvider> | undefined)?.getDelegateTracer === 'function';
    this.proxy = proxied ? (tracerProvider as unknown as ProxyTracerProvider) : undefined;
    this.tracer = proxied ? undefined : (tracerProvider?.getTracer(INSTRUMENTATION_SCOPE) as Tracer | undefined);
    const provided = meterProvider?.getMeter(INSTRUMENTATION_SCOPE) as Meter | undefined;
    // the API's no-op meter (no metrics SDK registered) records nothing: no instruments are made
    this.meter = provided !== undefined && provided === api?.createNoopMeter?.() ? undefined : provided;
    this.on = this.tracer !== undefined || this.proxy !== undefined || this.meter !== undefined;
    this.succeeded = {
      append: { ...this.store, 'factstore.operation': 'append' },
      appendIf: { ...this.store, 'factstore.operation': 'appendIf' },
    };
    const meter = this.meter;
    if (!meter) return;
    this.appendDuration = meter.createHistogram('factstore.append.duration', {
      description: 'How long append and appendIf take, from the call to the commit (or failure)',
      unit: 's',
    });
    this.conflicts = meter.createCounter('factstore.append.conflicts', {
      description: 'appendIf calls that failed with CONDITIONAL_APPEND_CONFLICT',
      unit: '{conflict}',
    });
    this.groupSize = meter.createHistogram('factstore.group_commit.size', {
      description: 'How many appends one group commit wrote together',
      unit: '{append}',
      advice: { explicitBucketBoundaries: [1, 2, 4, 8, 16, 32, 64, 128, 256] },
    });
    this.deliveryLatency = meter.createHistogram('factstore.delivery.latency', {
      description: "Time from a batch's commit to the start of the handler call that delivers it",
      unit: 's',
    });
  }

  /**
   * Makes the telemetry of one store: off (and `@opentelemetry/api` not even loaded) when neither
   * provider is passed and the API is not installed.
   * @param load how to load the API (tests simulate a failed load)
   */
  static create(store: string, options: TelemetryOptions | undefined, load?: () => unknown): Telemetry {
    const api = loadOpenTelemetry(load);
    if (!api && !options?.tracerProvider && !options?.meterProvider) return Telemetry.off;
    return new Telemetry(api, store, options ?? {});
  }

  /**
   * Traces one append (`factstore.append` or `factstore.append_if`) and records its duration;
   * `run` (the backend call) runs inside {@link Telemetry.appendScope}.
   */
  append<T>(kind: 'append' | 'appendIf', events: number, run: () => Promise<T>): Promise<T> {
    if (!this.meter && !this.tracerNow()) return run(); // nothing would record it
    const start = performance.now();
    const span = this.recording(
      this.startSpan(kind === 'append' ? 'factstore.append' : 'factstore.append_if', {
        'factstore.operation': kind,
        'factstore.events.count': events,
      }),
    );
    const done = (error?: unknown): void => {
      let attributes = this.succeeded[kind];
      if (error !== undefined) {
        attributes = { ...attributes, 'error.type': errorType(error) };
        if (error instanceof ConditionalAppendConflictError) {
          this.conflicts?.add(1, this.store);
          span?.addEvent('factstore.conflict', {
            'factstore.context.expected_version': versionAttribute(error.expected),
            'factstore.context.actual_version': versionAttribute(error.actual),
          });
        }
        this.fail(span, error);
      }
      this.appendDuration?.record((performance.now() - start) / 1000, attributes);
      span?.end();
    };
    // the group commit that takes the append finds its span and this telemetry (for its metrics) here
    const running = span || this.meter ? Telemetry.appendScope.run({ telemetry: this, span }, run) : run();
    return running.then(
      (value) => {
        done();
        return value;
      },
      (error: unknown) => {
        done(error);
        throw error;
      },
    );
  }

  /** Traces one read (`factstore.query`), with the number of records it returned. */
  async query<T extends { readonly eventRecords: readonly unknown[] }>(direction: string, run: () => Promise<T>): Promise<T> {
    if (!this.tracerNow()) return run(); // nothing would record it
    const span = this.recording(this.startSpan('factstore.query', { 'factstore.query.direction': direction }));
    try {
      const result = await run();
      span?.setAttribute('factstore.events.count', result.eventRecords.length);
      return result;
    } catch (error) {
      this.fail(span, error);
      throw error;
    } finally {
      span?.end();
    }
  }

  /**
   * Traces one group commit (`factstore.group_commit`, a child of the first append's span and
   * linked to every append's) and records its size.
   */
  async groupCommit<T>(size: number, appends: readonly (Span | undefined)[], run: () => Promise<T>): Promise<T> {
    this.groupSize?.record(size, this.store);
    const first = appends.find((span) => span !== undefined);
    const links = appends.filter((span): span is Span => span !== undefined).map((span) => ({ context: span.spanContext() }));
    // without a recording append span to belong to, the group's span would record nothing (or start a trace of its own)
    const span = first && this.startSpan('factstore.group_commit', { 'factstore.group.size': size }, first, links);
    try {
      return await run();
    } catch (error) {
      this.fail(span, error);
      throw error;
    } finally {
      span?.end();
    }
  }

  /** Starts the span of a durable registration's replay (`factstore.replay`); end it with {@link Telemetry.endSpan}. */
  startReplay(stream: StreamInfo, from: bigint, until: bigint): Span | undefined {
    return this.startSpan('factstore.replay', {
      ...streamAttributes(stream),
      'factstore.replay.from': Number(from),
      'factstore.replay.until': Number(until),
    });
  }

  /** Ends a span started here, failed with `error` when one is given. */
  endSpan(span: Span | undefined, error?: unknown): void {
    if (!span) return;
    if (error !== undefined) this.fail(span, error);
    span.end();
  }

  /**
   * Traces one handler call (`factstore.handle`, a child of `parent`, the replay's span, when
   * given) and records the delivery latency of its batch (its commit time to now). The handler
   * runs with the span active in the API's context.
   */
  async handle<T>(stream: StreamInfo, records: readonly EventRecord[], parent: Span | undefined, run: () => T | Promise<T>): Promise<T> {
    const first = records[0] as EventRecord;
    const attributes = this.streamAttributes(stream);
    this.deliveryLatency?.record(Math.max(0, Date.now() - first.occurredAt.getTime()) / 1000, attributes);
    const span = this.open(
      'factstore.handle',
      {
        ...attributes,
        'factstore.events.count': records.length,
        'factstore.batch.first_sequence_number': Number(first.sequenceNumber),
        'factstore.batch.last_sequence_number': Number((records[records.length - 1] as EventRecord).sequenceNumber),
      },
      parent,
    );
    try {
      return await (span && this.api ? this.api.context.with(this.api.trace.setSpan(this.api.context.active(), span), run) : run());
    } catch (error) {
      this.fail(span, error);
      throw error;
    } finally {
      span?.end();
    }
  }

  /**
   * Registers the observable gauges `factstore.stream.lag` and `factstore.stream.stalled`, read
   * from `status` (no I/O) at each collection, for every durable stream (live streams have ids,
   * not names: too many series). {@link Telemetry.close} removes them.
   */
  observeStreams(status: () => StoreStatus): void {
    const meter = this.meter;
    if (!meter || this.unobserve) return;
    const lag = meter.createObservableGauge('factstore.stream.lag', {
      description: "A durable stream's lag in this process: the store's head minus the stream's cursor",
      unit: '{event}',
    });
    const stalled = meter.createObservableGauge('factstore.stream.stalled', {
      description: 'How long the oldest commit a durable stream has not delivered past yet has waited (0 when caught up)',
      unit: 's',
    });
    const durable = (observe: (stream: StreamStatus, attributes: Attributes) => void) => {
      for (const stream of status().streams)
        if (stream.name !== null)
          observe(stream, { ...this.store, 'factstore.stream.name': stream.name, 'factstore.stream.kind': stream.kind });
    };
    const observeLag = (result: ObservableResult) => durable((stream, attributes) => result.observe(Number(stream.lag), attributes));
    const observeStalled = (result: ObservableResult) => {
      const now = Date.now();
      durable((stream, attributes) =>
        result.observe(stream.stalledSince ? Math.max(0, now - stream.stalledSince.getTime()) / 1000 : 0, attributes),
      );
    };
    lag.addCallback(observeLag);
    stalled.addCallback(observeStalled);
    this.unobserve = () => {
      lag.removeCallback(observeLag);
      stalled.removeCallback(observeStalled);
    };
  }

  /** Stops observing the store's streams (at `close()`). */
  close(): void {
    this.unobserve?.();
  }

  private startSpan(
    name: string,
    attributes: Attributes,
    parent?: Span,
    links?: { context: ReturnType<Span['spanContext']> }[],
  ): Span | undefined {
    return this.tracerNow() && this.open(name, { ...this.store, ...attributes }, parent, links);
  }

  /** `span` when it records; a span that does not (not sampled) is dropped, so that nothing more is spent on it. */
  private recording(span: Span | undefined): Span | undefined {
    return span?.isRecording() ? span : undefined;
  }

  /** The tracer to start spans with now: none while the API's global provider has no SDK behind it. */
  private tracerNow(): Tracer | undefined {
    return (this.tracer ??= this.proxy?.getDelegateTracer(INSTRUMENTATION_SCOPE));
  }

  /** Starts a span with exactly `attributes` (the store's included), a child of `parent` when given. */
  private open(
    name: string,
    attributes: Attributes,
    parent?: Span,
    links?: { context: ReturnType<Span['spanContext']> }[],
  ): Span | undefined {
    const tracer = this.tracerNow();
    if (!tracer) return undefined;
    const context: Context | undefined = this.api && (parent ? this.api.trace.setSpan(this.api.context.active(), parent) : undefined);
    return tracer.startSpan(name, { kind: KIND_INTERNAL, attributes, ...(links && { links }) }, context);
  }

  /** The store's and a stream's attributes, made once a stream (a handler call reads them for every batch). */
  private streamAttributes(stream: StreamInfo): Attributes {
    let attributes = this.streams.get(stream);
    if (!attributes) this.streams.set(stream, (attributes = { ...this.store, ...streamAttributes(stream) }));
    return attributes;
  }

  private fail(span: Span | undefined, error: unknown): void {
    if (!span) return;
    span.setAttribute('error.type', errorType(error));
    if (error instanceof Error) span.recordException(error);
    span.setStatus({ code: STATUS_ERROR, message: error instanceof Error ? error.message : String(error) });
  }
}

function streamAttributes(stream: StreamInfo): Attributes {
  return {
    'factstore.stream.id': stream.id,
    'factstore.stream.kind': stream.kind,
    ...(stream.name !== null && { 'factstore.stream.name': stream.name }),
  };
}

/** A version as a span attribute: a number (positions stay below 2^53 in practice), -1 for null (nothing matched). */
function versionAttribute(version: bigint | null): number {
  return version === null ? -1 : Number(version);
}

/** The `error.type` attribute of a failure: its code (`BACKEND_FAILURE`, …), else its class name. */
function errorType(error: unknown): string {
  return errorCode(error) ?? (error instanceof Error ? error.name : typeof error);
}
