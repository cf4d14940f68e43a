/**
 * Reads an `strace -f -ttt -y -s N` log into calls with their completion time, joining
 * `<unfinished ...>` / `<... resumed>` pairs of the same thread. Each call keeps its raw
 * argument text (paths decoded by -y, buffers as strace prints them).
 */
import { readFileSync } from 'node:fs';

export interface TracedCall {
  readonly pid: number;
  readonly start: number;
  readonly end: number;
  readonly name: string;
  readonly args: string;
  readonly line: number;
}

const FULL = /^(\d+)\s+(\d+\.\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)/;
const UNFINISHED = /^(\d+)\s+(\d+\.\d+)\s+(\w+)\((.*)\s+<unfinished \.\.\.>$/;
const RESUMED = /^(\d+)\s+(\d+\.\d+)\s+<\.\.\. (\w+) resumed>(.*)\)\s+=\s+(-?\d+)/;

export function readStraceLog(file: string): TracedCall[] {
  const calls: TracedCall[] = [];
  const pending = new Map<string, { start: number; args: string; line: number }>();
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      let m = FULL.exec(text);
      if (m) {
        if (Number(m[5]) >= 0)
          calls.push({
            pid: Number(m[1]),
            start: Number(m[2]),
            end: Number(m[2]),
            name: m[3]!,
            args: m[4]!,
            line: i + 1,
          });
        return;
      }
      m = UNFINISHED.exec(text);
      if (m) {
        pending.set(`${m[1]}:${m[3]}`, { start: Number(m[2]), args: m[4]!, line: i + 1 });
        return;
      }
      m = RESUMED.exec(text);
      if (m) {
        const key = `${m[1]}:${m[3]}`;
        const p = pending.get(key);
        pending.delete(key);
        if (p && Number(m[5]) >= 0)
          calls.push({
            pid: Number(m[1]),
            start: p.start,
            end: Number(m[2]),
            name: m[3]!,
            args: p.args + m[4]!,
            line: p.line,
          });
      }
    });
  return calls.sort((a, b) => a.start - b.start);
}
