/**
 * ThreadCommit: group commit in a writer thread (writerThread.ts) instead of on the event loop.
 * enqueue() queues the serialised append (a tick's appends are posted to the thread together)
 * and resolves when the thread reports its batch
 * committed; flush(), deleteStreamsBefore() and close() are commands the thread runs after
 * committing what it holds, in order. The worker is unref'd while nothing is pending, so an
 * idle log does not keep the process alive (as a plain connection would not). If the thread
 * dies, every pending and later append rejects with EventLogWriteError.
 */
import { Worker } from 'node:worker_threads';
import type { AppendResult } from '../eventLog.js';
import type { AppendRequest } from './eventWriter.js';
import type { GroupCommitStats } from './groupCommit.js';
import { EventLogWriteError } from './sqliteErrors.js';
import type { WriterThreadData } from './writerThread.js';
import { errorFromWire, type FromWriter, type ToWriter } from './writerWire.js';

interface Waiter {
  resolve(value: never): void;
  reject(error: unknown): void;
}

// Compiled, the thread runs dist/…/writerThread.js. From source (tests and benches under tsx), a
// worker does not inherit tsx's loader on Node 20, so a bootstrap registers it first.
const fromSource = import.meta.url.endsWith('.ts');
function startWorker(data: WriterThreadData): Worker {
  if (!fromSource) return new Worker(new URL('./writerThread.js', import.meta.url), { workerData: data });
  const entry = new URL('./writerThread.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

export class ThreadCommit {
  stats: Readonly<GroupCommitStats> = {
    batches: 0,
    commits: 0,
    appended: 0,
    rejected: 0,
    failedBatches: 0,
    largestBatch: 0,
    flushMsTotal: 0,
    flushMsMax: 0,
  };
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiter>();
  /** close() asked the thread to end: its exit is no loss. */
  private closing = false;
  private lostListener: ((error: Error) => void) | undefined;
  private outbox: { id: number; request: AppendRequest }[] = [];
  private posting: NodeJS.Immediate | undefined;
  private nextId = 1;
  private failure: Error | undefined;

  constructor(
    private readonly path: string,
    data: WriterThreadData,
    /** Called after each committed batch (wakes subscriptions). */
    private readonly afterCommit: () => void,
  ) {
    this.worker = startWorker(data);
    this.worker.unref();
    this.worker.on('message', (message: FromWriter) => this.receive(message));
    this.worker.on('error', (error) => this.lose(new EventLogWriteError(path, error)));
    this.worker.on('exit', (code) =>
      this.lose(new EventLogWriteError(path, new Error(`the writer thread exited (${code})`))),
    );
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** Appends of this tick, posted together at its end (one message to the thread, not one each). */
  enqueue(request: AppendRequest): Promise<AppendResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<AppendResult>((resolve, reject) => {
      this.wait(id, { resolve: resolve as (value: never) => void, reject });
      this.outbox.push({ id, request });
      this.posting ??= setImmediate(() => this.postOutbox());
    });
  }

  private postOutbox(): void {
    if (this.posting) clearImmediate(this.posting);
    this.posting = undefined;
    if (this.outbox.length === 0) return;
    const items = this.outbox;
    this.outbox = [];
    this.worker.postMessage({ kind: 'appends', items } satisfies ToWriter);
  }

  flush(): Promise<void> {
    return this.send((id) => ({ kind: 'flush', id }));
  }

  deleteStreamsBefore(prefix: string, isoTime: string): Promise<number> {
    return this.send((id) => ({ kind: 'deleteStreamsBefore', id, prefix, isoTime }));
  }

  /**
   * Called once if the thread dies or fails while the log is open (not after close()): every
   * append from then on fails, so the owner should stop rather than answer 4xx for ever.
   */
  onLost(listener: (error: Error) => void): void {
    this.lostListener = listener;
    if (this.failure && !this.closing) listener(this.failure);
  }

  /** Commits what is pending, closes the thread's connection, ends the thread. */
  async close(): Promise<void> {
    if (this.failure) return;
    this.closing = true;
    await this.send((id) => ({ kind: 'close', id }));
    await this.worker.terminate();
  }

  /** A command, after the appends queued before it. */
  private send<T>(message: (id: number) => ToWriter): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.wait(id, { resolve: resolve as (value: never) => void, reject });
      this.postOutbox();
      this.worker.postMessage(message(id));
    });
  }

  private wait(id: number, waiter: Waiter): void {
    this.waiting.set(id, waiter);
    if (this.waiting.size === 1) this.worker.ref();
  }

  private settle(id: number, ok: boolean, value: unknown): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker.unref();
    if (ok) waiter.resolve(value as never);
    else waiter.reject(value);
  }

  private receive(message: FromWriter): void {
    if (message.kind === 'batch') {
      this.stats = message.stats;
      for (const r of message.results) this.settle(r.id, r.ok, r.ok ? r.value : errorFromWire(r.error, this.path));
      this.afterCommit();
    } else if (message.kind === 'done') {
      this.settle(message.id, true, message.value);
    } else if (message.id !== undefined) {
      this.settle(message.id, false, errorFromWire(message.error, this.path));
    } else {
      this.lose(new EventLogWriteError(this.path, errorFromWire(message.error, this.path)));
    }
  }

  /** The thread is gone (or cannot write at all): fail what waits, and tell the owner unless it closed the log. */
  private lose(error: Error): void {
    const first = !this.failure;
    this.fail(error);
    if (first && !this.closing) this.lostListener?.(this.failure!);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.outbox = [];
    for (const id of [...this.waiting.keys()]) this.settle(id, false, this.failure);
  }
}
