/**
 * An in-memory stand-in for KurrentDBClient, for the kurrentdb adapter's offline tests.
 * It keeps the server semantics the adapter relies on: revisions from 0n, a
 * WrongExpectedVersionError on a mismatched streamState, StreamNotFoundError for a
 * missing stream, readAll forwards from a position INCLUSIVE, subscribeToAll from a
 * position EXCLUSIVE (catch-up then live). Server-side filters are ignored on purpose, so
 * the adapter's in-process filtering is what the tests see. Not a model of anything else.
 */
import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';
import {
  BACKWARDS,
  END,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AppendStreamState,
  type Position,
  type ReadPosition,
} from '@kurrent/kurrentdb-client';
import type { ClientRecord, ClientResolvedEvent } from '../../src/eventlog/kurrentdb/eventMapping.js';

type FakeLive = PassThrough & { unsubscribe(): Promise<void>; unsubscribed: boolean };

export class FakeKurrentClient {
  readonly records: ClientRecord[] = [];
  readonly subscribedFrom: ReadPosition[] = [];
  readonly appendCalls: { stream: string; streamState: AppendStreamState }[] = [];
  readonly lives = new Set<FakeLive>();
  disposeCalls = 0;
  /** Called after each event readAll (forwards) yields: lets a test append during catch-up. */
  onReadAllYield: ((index: number) => void) | undefined;
  #nextPosition = 100n;
  readonly #revisions = new Map<string, bigint>();

  add(stream: string, type: string, data: unknown = {}, metadata?: unknown): ClientRecord {
    const revision = (this.#revisions.get(stream) ?? -1n) + 1n;
    this.#revisions.set(stream, revision);
    const position: Position = { commit: this.#nextPosition, prepare: this.#nextPosition };
    this.#nextPosition += 100n;
    const rec: ClientRecord = {
      id: randomUUID(),
      streamId: stream,
      revision,
      type,
      data,
      metadata,
      created: new Date(),
      position,
    };
    this.records.push(rec);
    for (const live of this.lives) live.write({ event: rec, commitPosition: position.commit });
    return rec;
  }

  async appendToStream(
    stream: string,
    events: { type: string; data: unknown; metadata?: unknown }[],
    { streamState = 'any' }: { streamState?: AppendStreamState } = {},
  ) {
    this.appendCalls.push({ stream, streamState });
    const current = this.#revisions.get(stream);
    const ok =
      streamState === 'any' ||
      (streamState === 'no_stream' && current === undefined) ||
      (typeof streamState === 'bigint' && current === streamState);
    if (!ok) {
      throw new WrongExpectedVersionError(undefined, {
        streamName: stream,
        expected: streamState,
        current: current ?? 'no_stream',
      });
    }
    let last: ClientRecord | undefined;
    for (const e of events) last = this.add(stream, e.type, e.data, e.metadata);
    return { success: true, nextExpectedRevision: this.#revisions.get(stream)!, position: last?.position };
  }

  async *readStream(stream: string, options: { fromRevision?: bigint | 'start'; maxCount?: number | bigint } = {}) {
    if (!this.#revisions.has(stream)) throw new StreamNotFoundError(undefined, stream);
    const from =
      options.fromRevision === undefined || options.fromRevision === START ? 0n : (options.fromRevision as bigint);
    let left = BigInt(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    for (const rec of this.records.filter((r) => r.streamId === stream && r.revision >= from)) {
      if (left-- <= 0n) return;
      yield this.#resolved(rec);
    }
  }

  async *readAll(options: { fromPosition?: ReadPosition; direction?: string; maxCount?: number | bigint } = {}) {
    let left = BigInt(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    if (options.direction === BACKWARDS) {
      for (const rec of [...this.records].reverse()) {
        if (left-- <= 0n) return;
        yield this.#resolved(rec);
      }
      return;
    }
    const from = options.fromPosition;
    // Index-based over the live array: appends made while reading are read too, as on a server.
    for (let i = 0; i < this.records.length; i++) {
      const rec = this.records[i]!;
      if (from === END) return;
      if (from !== undefined && from !== START && rec.position!.commit < from.commit) continue;
      if (left-- <= 0n) return;
      yield this.#resolved(rec);
      await new Promise((resolve) => setImmediate(resolve));
      this.onReadAllYield?.(i);
    }
  }

  subscribeToAll(options: { fromPosition?: ReadPosition } = {}) {
    const from = options.fromPosition ?? START;
    this.subscribedFrom.push(from);
    const live = new PassThrough({ objectMode: true }) as FakeLive;
    live.unsubscribed = false;
    live.unsubscribe = async () => {
      live.unsubscribed = true;
      this.lives.delete(live);
    };
    setImmediate(() => {
      if (live.unsubscribed) return;
      if (from !== END) {
        for (const rec of this.records) {
          if (from === START || rec.position!.commit > from.commit) live.write(this.#resolved(rec));
        }
      }
      this.lives.add(live);
    });
    return live;
  }

  async dispose(): Promise<void> {
    this.disposeCalls++;
    for (const live of this.lives) live.destroy();
    this.lives.clear();
  }

  #resolved(rec: ClientRecord): ClientResolvedEvent {
    return { event: rec, commitPosition: rec.position!.commit };
  }
}
