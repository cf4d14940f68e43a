/**
 * CPU time of every process of one side of the comparison, through a cgroup: the kernel adds
 * each task's CPU time to its cgroup, including tasks that have already exited (Postfix's
 * smtpd/cleanup/virtual processes, mailtrail's maildrop children). cgroup v1 `cpuacct`
 * (cpuacct.usage, ns) or cgroup v2 (cpu.stat usage_usec), whichever is writable here.
 * Without either, `usageMs()` is undefined and the table prints "—".
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const V1 = '/sys/fs/cgroup/cpuacct';
const V2 = '/sys/fs/cgroup/unified';

export class CpuGroup {
  readonly dir: string | undefined;
  private readonly v2: boolean;

  constructor(name: string) {
    let dir: string | undefined;
    let v2 = false;
    for (const [root, isV2] of [
      [V1, false],
      [V2, true],
      ['/sys/fs/cgroup', true],
    ] as const) {
      if (!existsSync(isV2 ? join(root, 'cgroup.procs') : join(root, 'cpuacct.usage'))) continue;
      try {
        const d = join(root, name);
        mkdirSync(d, { recursive: true });
        if (existsSync(join(d, 'cgroup.procs'))) {
          dir = d;
          v2 = isV2;
          break;
        }
      } catch {
        // not writable here: try the next hierarchy
      }
    }
    this.dir = dir;
    this.v2 = v2;
  }

  /** The procs file a shell writes `$$` into to join the group (children follow). */
  get procsFile(): string | undefined {
    return this.dir && join(this.dir, 'cgroup.procs');
  }

  /** Moves these processes into the group (their existing children are not moved). */
  add(pids: readonly number[]): void {
    if (!this.dir) return;
    for (const pid of pids) {
      try {
        writeFileSync(join(this.dir, 'cgroup.procs'), `${pid}\n`);
      } catch {
        // exited meanwhile
      }
    }
  }

  /** The file that holds the group's CPU usage (a shell copies it to read the usage later with parseUsageMs). */
  get usageFile(): string | undefined {
    return this.dir && join(this.dir, this.v2 ? 'cpu.stat' : 'cpuacct.usage');
  }

  /** CPU time used by the group's tasks so far (live and exited), in ms. */
  usageMs(): number | undefined {
    const file = this.usageFile;
    return file === undefined ? undefined : this.parseUsageMs(readFileSync(file, 'utf8'));
  }

  /** The usage, in ms, that a copy of usageFile's text records. */
  parseUsageMs(text: string): number | undefined {
    if (this.v2) {
      const m = /usage_usec (\d+)/.exec(text);
      return m ? Number(m[1]) / 1000 : undefined;
    }
    return Number(text.trim()) / 1e6;
  }

  /** Removes the group once it is empty (moving leftovers to the root group first). */
  remove(): void {
    if (!this.dir) return;
    try {
      const root = join(this.dir, '..', 'cgroup.procs');
      for (const pid of readFileSync(join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          writeFileSync(root, `${pid}\n`);
        } catch {
          /* exited */
        }
      }
      for (const child of readdirSync(this.dir, { withFileTypes: true }))
        if (child.isDirectory()) rmdirSync(join(this.dir, child.name));
      rmdirSync(this.dir);
    } catch {
      // still busy: an empty leftover group costs nothing
    }
  }
}
