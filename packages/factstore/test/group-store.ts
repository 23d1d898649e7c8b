import type { EventRecord, QueryResult } from '../src/index.js';
import {
  compileMatcher,
  decideGroup,
  EventStoreBase,
  GroupCommit,
  type AppendCondition,
  type CommittedBatch,
  type GroupAppend,
  type StoreBackend,
  type ValidEvent,
  type ValidQuery,
} from '../src/backend.js';
import type { TelemetryOptions } from '../src/index.js';
import { Telemetry } from '../src/observability/telemetry.js';

/**
 * A backend in memory that writes through {@link GroupCommit} (each commit takes a few ms, so
 * appends submitted meanwhile form a group), with `decideGroup` for the conditions, as the SQL
 * stores do. Only what the telemetry and status tests need: forward queries, one holder per name.
 */
export class GroupBackend implements StoreBackend {
  readonly batches: CommittedBatch[] = [];
  readonly cursors = new Map<string, { position: bigint; holder: string | null }>();
  commitMs = 2;
  /** The telemetry scope each append was submitted in (`undefined`: none entered). */
  readonly appendScopes: unknown[] = [];

  private readonly groups = new GroupCommit<GroupAppend>(async (group) => {
    await new Promise((resolve) => setTimeout(resolve, this.commitMs));
    const verdicts = await decideGroup(group, async (contexts) => ({
      head: this.headNow(),
      versions: contexts.map((c) => this.records().filter(c.matcher).at(-1)?.sequenceNumber ?? null),
    }));
    const written = verdicts.accepted.map((item) => this.write(item.events));
    return verdicts.outcomes(written);
  });

  append(events: readonly ValidEvent[], condition?: AppendCondition): Promise<CommittedBatch> {
    this.appendScopes.push(Telemetry.appendScope.getStore());
    return this.groups.submit({ events, condition });
  }
  async query(query: ValidQuery): Promise<QueryResult> {
    const matching = this.records().filter(compileMatcher(query));
    const after = query.minSequenceNumber ?? 0n;
    const eventRecords = matching.filter((r) => r.sequenceNumber > after).slice(0, query.limit ?? Infinity);
    return {
      eventRecords,
      lastReturnedSequenceNumber: eventRecords.at(-1)?.sequenceNumber ?? null,
      currentContextVersion: matching.at(-1)?.sequenceNumber ?? null,
    };
  }
  async readBatches(after: bigint): Promise<CommittedBatch[]> {
    return this.batches.filter((b) => b.firstSequenceNumber > after);
  }
  async head(): Promise<bigint> {
    return this.headNow();
  }
  async claimDurable(name: string, _query: string, holder: string): Promise<bigint> {
    const row = this.cursors.get(name) ?? { position: 0n, holder: null };
    row.holder = holder;
    this.cursors.set(name, row);
    return row.position;
  }
  async renewLeases(holder: string, names: readonly string[]): Promise<readonly string[]> {
    return names.filter((name) => this.cursors.get(name)?.holder === holder);
  }
  async saveCursor(name: string, position: bigint, holder: string): Promise<boolean> {
    const row = this.cursors.get(name);
    if (row?.holder !== holder) return false;
    row.position = position;
    return true;
  }
  async readCursor(name: string): Promise<bigint | null> {
    return this.cursors.get(name)?.position ?? null;
  }
  async releaseDurable(name: string, holder: string): Promise<void> {
    const row = this.cursors.get(name);
    if (row?.holder === holder) row.holder = null;
  }
  async close(): Promise<void> {}

  private headNow(): bigint {
    return this.batches.at(-1)?.lastSequenceNumber ?? 0n;
  }
  private records(): EventRecord[] {
    return this.batches.flatMap((b) => b.records);
  }
  private write(events: readonly ValidEvent[]): CommittedBatch {
    const first = this.headNow() + 1n;
    const occurredAt = new Date();
    const records: EventRecord[] = events.map((e, i) => ({ sequenceNumber: first + BigInt(i), occurredAt, ...e }));
    const batch = { firstSequenceNumber: first, lastSequenceNumber: first + BigInt(events.length - 1), records };
    this.batches.push(batch);
    return batch;
  }
}

/** A store on {@link GroupBackend}. */
export class GroupStore extends EventStoreBase {
  constructor(
    telemetry?: TelemetryOptions,
    readonly groupBackend = new GroupBackend(),
  ) {
    super(groupBackend, { telemetry });
  }
}
