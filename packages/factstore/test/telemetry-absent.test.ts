import { Telemetry } from '../src/observability/telemetry.js';
import { loadOpenTelemetry } from '../src/observability/otel-api.js';
import { GroupStore } from './group-store.js';

// @opentelemetry/api as if it were not installed: requiring it throws, as Node's require does then
jest.mock('@opentelemetry/api', () => {
  throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
});

it('a store works without @opentelemetry/api: no error, no telemetry', async () => {
  const store = new GroupStore();
  expect(loadOpenTelemetry()).toBeUndefined();
  expect((store as unknown as { telemetry: Telemetry }).telemetry).toBe(Telemetry.off);
  const delivered: bigint[] = [];
  await store.streamAllDurable('all', (batch) => {
    delivered.push(...batch.map((r) => r.sequenceNumber));
  });
  await store.append([{ eventType: 'a', payload: {} }]);
  await store.appendIf([{ eventType: 'b', payload: {} }], { filters: [{ eventTypes: ['a'] }] }, 1n);
  expect((await store.query({})).eventRecords).toHaveLength(2);
  const deadline = Date.now() + 2000;
  while (delivered.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(delivered).toEqual([1n, 2n]);
  expect(store.status().streams.map((s) => [s.name, s.lag])).toEqual([['all', 0n]]);
  await store.close();
});
