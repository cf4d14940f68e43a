/**
 * FailingAppendLog: an EventLog wrapper for tests that makes the real log's append fail on
 * purpose — the next `failures` appends that carry one of `types` reject with an
 * EventLogWriteError (as a full disk or an I/O error would), without reaching the log; every
 * other call goes to the wrapped log unchanged. An injected failure, named as such.
 */
import type {
  AppendOptions,
  AppendResult,
  EventData,
  EventLog,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../../src/eventlog/eventLog.js';
import { EventLogWriteError } from '../../src/eventlog/sqlite/sqliteErrors.js';

export class FailingAppendLog implements EventLog {
  /** Appends refused so far. */
  refused = 0;

  constructor(
    private readonly inner: EventLog,
    private readonly types: readonly string[],
    public failures: number,
  ) {}

  append(stream: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult> {
    if (this.failures > 0 && events.some((e) => this.types.includes(e.type))) {
      this.failures -= 1;
      this.refused += 1;
      return Promise.reject(
        new EventLogWriteError(
          'events.sqlite (injected failure)',
          Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }),
        ),
      );
    }
    return this.inner.append(stream, events, options);
  }

  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return this.inner.readStream(stream, options);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.inner.readAll(options);
  }

  subscribe(options?: SubscribeOptions): Subscription {
    return this.inner.subscribe(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
