/**
 * A real event log whose chosen appends wait at a gate: tests hold, say, every outcome append
 * to see what the queue does while a commit has not come back. The other appends and every
 * read go straight to the log.
 */
import type { AppendOptions, EventData, EventLog } from '../../src/eventlog/eventLog.js';

export interface GatedLog {
  /** The log to hand to the queue. */
  readonly log: EventLog;
  /** Lets every held append (and those to come) through. */
  open(): void;
  /** How many appends have reached the gate. */
  readonly held: number;
}

export function gatedLog(real: EventLog, holds: (events: readonly EventData[]) => boolean): GatedLog {
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  let held = 0;
  const log: EventLog = new Proxy(real, {
    get(target, key, receiver) {
      if (key !== 'append') return Reflect.get(target, key, receiver);
      return async (stream: string, events: readonly EventData[], options?: AppendOptions) => {
        if (holds(events)) {
          held += 1;
          await gate;
        }
        return target.append(stream, events, options);
      };
    },
  });
  return {
    log,
    open: () => open(),
    get held() {
      return held;
    },
  };
}
