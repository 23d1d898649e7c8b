import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SamplingDecision,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { isFactStoreError, type EventRecord } from '../src/index.js';
import { checkOptions, TelemetryOnlyOptions } from '../src/backend.js';
import { loadOpenTelemetry } from '../src/observability/otel-api.js';
import { Telemetry } from '../src/observability/telemetry.js';
import { GroupStore } from './group-store.js';

/** A reader collected on demand; `export()` hands what it collected to an {@link InMemoryMetricExporter}. */
class TestReader extends MetricReader {
  readonly exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
  /** Collects, exports to the in-memory exporter, and returns every metric by name. */
  async metrics(): Promise<Map<string, MetricData>> {
    const { resourceMetrics } = await this.collect();
    await new Promise<void>((resolve) => this.exporter.export(resourceMetrics, () => resolve()));
    const byName = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics) {
      expect(scope.scope.name).toBe('factstore');
      for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
    }
    return byName;
  }
}

function setUp() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return { spans, reader, tracerProvider, meterProvider, telemetry: { tracerProvider, meterProvider } };
}

const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const ev = (eventType: string, payload: Record<string, string> = {}) => ({ eventType, payload });

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('spans', () => {
  it('append, appendIf (a conflict as an event) and query, named and attributed after the semantic conventions', async () => {
    const { spans, telemetry } = setUp();
    const store = new GroupStore(telemetry);
    await store.append([ev('opened', { id: 'a' }), ev('credited', { id: 'a' })]);
    await store.appendIf([ev('credited', { id: 'a' })], { filters: [{ payloadPredicates: [{ id: 'a' }] }] }, 2n);
    const conflict = await store.appendIf([ev('closed')], { filters: [{ eventTypes: ['opened'] }] }, null).catch((e: unknown) => e);
    expect(isFactStoreError(conflict, 'CONDITIONAL_APPEND_CONFLICT')).toBe(true);
    await store.query({ filters: [{ eventTypes: ['credited'] }] });
    await store.close();

    const finished = spans.getFinishedSpans();
    const [append] = named(finished, 'factstore.append');
    expect(append?.attributes).toMatchObject({
      'factstore.store': 'GroupStore',
      'factstore.operation': 'append',
      'factstore.events.count': 2,
    });
    expect(append?.status.code).toBe(0);
    const appendIfs = named(finished, 'factstore.append_if');
    expect(appendIfs).toHaveLength(2);
    expect(appendIfs[0]?.events).toHaveLength(0);
    const failed = appendIfs[1] as ReadableSpan;
    expect(failed.status.code).toBe(2);
    expect(failed.attributes['error.type']).toBe('CONDITIONAL_APPEND_CONFLICT');
    expect(failed.events.map((e) => [e.name, e.attributes])).toContainEqual([
      'factstore.conflict',
      { 'factstore.context.expected_version': -1, 'factstore.context.actual_version': 1 },
    ]);
    const [query] = named(finished, 'factstore.query');
    expect(query?.attributes).toMatchObject({
      'factstore.store': 'GroupStore',
      'factstore.events.count': 2,
      'factstore.query.direction': 'forward',
    });
    expect(finished.every((s) => s.instrumentationScope.name === 'factstore')).toBe(true);
  });

  it('a group commit: one span with the group size, a child of its first append, linked to each', async () => {
    const { spans, telemetry } = setUp();
    const store = new GroupStore(telemetry);
    await store.append([ev('warm-up')]); // the next appends queue behind nothing: the first goes alone
    const calls = [store.append([ev('a')]), store.append([ev('b')]), store.append([ev('c')])];
    await Promise.all(calls);
    await store.close();
    const finished = spans.getFinishedSpans();
    const groups = named(finished, 'factstore.group_commit');
    const sizes = groups.map((g) => g.attributes['factstore.group.size']);
    expect(sizes).toEqual([1, 1, 2]);
    const appends = named(finished, 'factstore.append');
    const last = groups[2] as ReadableSpan;
    const linked = last.links.map((l) => l.context.spanId);
    const [b, c] = appends.filter((a) => linked.includes(a.spanContext().spanId));
    expect(linked).toHaveLength(2);
    expect(last.parentSpanContext?.spanId).toBe(b?.spanContext().spanId);
    expect(c).toBeDefined();
  });

  it('a durable replay, its handler calls as children, then live handler calls', async () => {
    const { spans, telemetry } = setUp();
    const store = new GroupStore(telemetry);
    await store.append([ev('a')]);
    await store.append([ev('b'), ev('b')]);
    const seen: bigint[] = [];
    await store.streamAllDurable('counter', (batch) => {
      seen.push(...batch.map((r) => r.sequenceNumber));
    });
    await store.append([ev('c')]);
    await until(() => seen.length === 4, 'the live delivery');
    await store.close();
    const finished = spans.getFinishedSpans();
    const [replay] = named(finished, 'factstore.replay');
    expect(replay?.attributes).toMatchObject({
      'factstore.stream.name': 'counter',
      'factstore.stream.kind': 'durable',
      'factstore.replay.from': 0,
      'factstore.replay.until': 3,
    });
    const handles = named(finished, 'factstore.handle');
    expect(handles.map((h) => h.attributes['factstore.batch.last_sequence_number'])).toEqual([1, 3, 4]);
    expect(handles.map((h) => h.attributes['factstore.events.count'])).toEqual([1, 2, 1]);
    const replayId = replay?.spanContext().spanId;
    expect(handles.map((h) => h.parentSpanContext?.spanId === replayId)).toEqual([true, true, false]);
  });

  it('a failing handler: its span has the error; a failed replay ends the replay span failed', async () => {
    const { spans, telemetry } = setUp();
    const store = new GroupStore(telemetry);
    await store.append([ev('a')]);
    const boom = Object.assign(new Error('boom'), { code: 'BOOM' });
    const refused = await store
      .streamAllDurable('fails', () => {
        throw boom;
      })
      .catch((e: unknown) => e);
    expect(isFactStoreError(refused, 'DURABLE_REPLAY_FAILED')).toBe(true);
    await store.close();
    const finished = spans.getFinishedSpans();
    const [handle] = named(finished, 'factstore.handle');
    expect(handle?.status).toEqual({ code: 2, message: 'boom' });
    expect(handle?.attributes['error.type']).toBe('BOOM');
    const [replay] = named(finished, 'factstore.replay');
    expect(replay?.attributes['error.type']).toBe('DURABLE_REPLAY_FAILED');
  });

  it('uses the global providers of @opentelemetry/api when none is passed', async () => {
    const { spans, tracerProvider, reader, meterProvider } = setUp();
    expect(trace.setGlobalTracerProvider(tracerProvider)).toBe(true);
    expect(metrics.setGlobalMeterProvider(meterProvider)).toBe(true);
    try {
      const store = new GroupStore();
      await store.append([ev('a')]);
      await store.close();
      expect(named(spans.getFinishedSpans(), 'factstore.append')).toHaveLength(1);
      expect((await reader.metrics()).has('factstore.append.duration')).toBe(true);
    } finally {
      trace.disable();
      metrics.disable();
    }
  });

  it('with the API installed and no SDK registered, starts no span; an SDK registered later is used from then on', async () => {
    const store = new GroupStore();
    await store.append([ev('before')]);
    expect(store.groupBackend.appendScopes).toEqual([undefined]); // no scope entered: there is nothing to record
    const { spans, tracerProvider } = setUp();
    expect(trace.setGlobalTracerProvider(tracerProvider)).toBe(true);
    try {
      await store.append([ev('after')]);
      await store.close();
      const appends = named(spans.getFinishedSpans(), 'factstore.append');
      expect(appends.map((span) => span.attributes['factstore.events.count'])).toEqual([1]);
      expect(named(spans.getFinishedSpans(), 'factstore.group_commit')).toHaveLength(1);
    } finally {
      trace.disable();
    }
  });

  it('appends not sampled: no span of theirs is kept, and their group commit starts none (it would belong to no trace)', async () => {
    const spans = new InMemorySpanExporter();
    // records every span but the appends'
    const sampler: Sampler = {
      shouldSample: (_context, _traceId, name) => ({
        decision: name === 'factstore.append' ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED,
      }),
      toString: () => 'all but appends',
    };
    const tracerProvider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(spans)] });
    const store = new GroupStore({ tracerProvider });
    await store.append([ev('a')]);
    await store.query({ filters: [{ eventTypes: ['a'] }] });
    await store.close();
    expect(spans.getFinishedSpans().map((span) => span.name)).toEqual(['factstore.query']);
  });
});

describe('metrics', () => {
  it('append latency, conflicts, group size and delivery latency', async () => {
    const { reader, telemetry } = setUp();
    const store = new GroupStore(telemetry);
    const delivered: EventRecord[] = [];
    await store.streamAll((batch) => {
      delivered.push(...batch);
    });
    await store.append([ev('a')]);
    await Promise.all([store.append([ev('b')]), store.append([ev('c')]), store.append([ev('d')])]);
    for (let i = 0; i < 2; i++) await store.appendIf([ev('x')], { filters: [{ eventTypes: ['a'] }] }, null).catch(() => {});
    await until(() => delivered.length === 4, 'the deliveries');
    const byName = await reader.metrics();
    await store.close();

    const points = (name: string) => (byName.get(name)?.dataPoints ?? []) as DataPoint<unknown>[];
    const durations = points('factstore.append.duration') as DataPoint<Histogram>[];
    expect(byName.get('factstore.append.duration')?.descriptor.unit).toBe('s');
    const count = (attrs: Record<string, unknown>) =>
      durations.filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v)).reduce((n, p) => n + p.value.count, 0);
    expect(count({ 'factstore.operation': 'append', 'factstore.store': 'GroupStore' })).toBe(4);
    expect(count({ 'factstore.operation': 'appendIf', 'error.type': 'CONDITIONAL_APPEND_CONFLICT' })).toBe(2);
    expect(points('factstore.append.conflicts').map((p) => p.value)).toEqual([2]);
    const sizes = points('factstore.group_commit.size') as DataPoint<Histogram>[];
    expect(sizes[0]?.value.count).toBe(5); // [a], [b], [c, d], and the two conflicting appendIfs alone
    expect(sizes[0]?.value.sum).toBe(6);
    expect(sizes[0]?.value.max).toBe(2);
    const latency = points('factstore.delivery.latency') as DataPoint<Histogram>[];
    expect(latency.reduce((n, p) => n + p.value.count, 0)).toBe(4); // a group of two appends is two batches
    expect(latency[0]?.attributes).toMatchObject({ 'factstore.stream.kind': 'live', 'factstore.store': 'GroupStore' });
  });

  it('a stuck handler makes the lag grow, in status() and in the lag gauge', async () => {
    const { reader, telemetry } = setUp();
    const store = new GroupStore(telemetry);
    const gate = deferred();
    const delivered: bigint[] = [];
    const stream = await store.streamAllDurable('stuck', async (batch) => {
      await gate.promise;
      delivered.push(...batch.map((r) => r.sequenceNumber));
    });
    const before = Date.now();
    await store.append([ev('a')]);
    await until(() => store.status().streams[0]?.stalledSince !== null, 'the stream to start on the batch');
    const lagOf = async () => {
      const gauge = (await reader.metrics()).get('factstore.stream.lag');
      const point = gauge?.dataPoints.find((p) => p.attributes['factstore.stream.name'] === 'stuck');
      return point?.value;
    };
    expect(await lagOf()).toBe(1);
    await store.append([ev('b'), ev('c')]);
    await store.append([ev('d')]);
    const status = store.status();
    expect(status.head).toBe(4n);
    const [stuck] = status.streams;
    expect(stuck).toMatchObject({ id: stream.id, name: 'stuck', kind: 'durable', cursor: 0n, head: 4n, lag: 4n, active: true });
    expect(stuck?.stalledSince?.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(await lagOf()).toBe(4);
    const stalled = (await reader.metrics()).get('factstore.stream.stalled')?.dataPoints[0]?.value as number;
    expect(stalled).toBeGreaterThanOrEqual(0);
    gate.release();
    await until(() => delivered.length === 4, 'the deliveries');
    await until(() => store.status().streams[0]?.lag === 0n, 'the stream to catch up');
    expect(store.status().streams[0]?.stalledSince).toBeNull();
    expect(await lagOf()).toBe(0);
    await store.close();
    // a closed store is observed no more
    const observed = jest.spyOn(store, 'status');
    await reader.metrics();
    expect(observed).not.toHaveBeenCalled();
  });
});

describe('without OpenTelemetry', () => {
  it('a failed load of @opentelemetry/api falls back to no telemetry', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(loadOpenTelemetry(missing)).toBeUndefined();
    expect(loadOpenTelemetry(() => ({ not: 'the api' }))).toBeUndefined();
    expect(Telemetry.create('GroupStore', undefined, missing)).toBe(Telemetry.off);
    expect(Telemetry.create('GroupStore', {}, missing).on).toBe(false);
    expect(loadOpenTelemetry()).toBeDefined(); // installed here, as a devDependency
  });

  it('explicit providers work without the API loaded (spans have no parents then)', async () => {
    const { spans, telemetry } = setUp();
    const off = () => {
      throw new Error('not installed');
    };
    const t = Telemetry.create('GroupStore', telemetry, off);
    expect(t.on).toBe(true);
    await t.append('append', 1, async () => 'done');
    expect(named(spans.getFinishedSpans(), 'factstore.append')).toHaveLength(1);
  });

  it('providers in the options are checked', () => {
    const issues: { path: string; message: string }[] = [];
    checkOptions(TelemetryOnlyOptions, { telemetry: { tracerProvider: {}, meterProvider: 1, exporter: true } }, issues);
    expect(issues.map((i) => i.path).sort()).toEqual([
      'options.telemetry.exporter',
      'options.telemetry.meterProvider',
      'options.telemetry.tracerProvider.getTracer',
    ]);
    const fine: typeof issues = [];
    checkOptions(TelemetryOnlyOptions, { telemetry: setUp().telemetry }, fine);
    expect(fine).toEqual([]);
  });
});
