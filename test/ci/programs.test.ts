/**
 * Every program the tests, benches, examples or the daemon start comes from a Debian package
 * that `.ci/run` installs. A package installed by hand on a developer's machine hides a missing
 * install step until a fresh CI machine fails with `spawn … ENOENT` deep inside some test; this
 * check fails first, naming the program and the package (or saying it is not installed).
 *
 * Programs are collected from the source: quoted absolute paths under /usr/{bin,sbin,lib,libexec}
 * and the literal first argument of spawn/execFile-like calls, plus the few started indirectly
 * (a relay's default program, a command inside `sh -c` or `nsenter`), listed below. Each is
 * resolved on PATH, then to its package with `dpkg -S`, which must be listed in .ci/run or be a
 * direct dependency of one listed; packages marked Essential (coreutils,
 * util-linux, bash …) are on every Debian machine and need no listing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { findProgram } from '../../src/config/relayPrograms.js';

const root = join(import.meta.dirname, '..', '..');
const SOURCE_DIRS = ['src', 'test', 'bench', 'examples'];

/** Started without a literal the scan below can see: relay defaults, commands inside shells. */
const INDIRECT = [
  'maildrop', // src/relay/maildropRelay.ts default program
  'dot', // src/diagrams/svg.ts default command
  'ip', // test/daemon/run.test.ts, inside `unshare --net sh -c`
  'swaks', // test/daemon/run.test.ts, inside `nsenter`
];

const ABSOLUTE = /['"`](\/usr\/(?:s?bin|lib|libexec)\/[A-Za-z0-9._/-]+)['"`]/g;
// `run(` only as a free function (test helpers); `this.run('retry', …)` is a method, not a program.
const BY_NAME = /(?<![.\w])(?:spawn|spawnSync|execFile|execFileSync|execFileP|run)\(\s*['"]([a-z0-9_.-]+)['"]/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|js|sh)$/.test(entry.name) || !entry.name.includes('.')) out.push(path);
  }
  return out;
}

function collectPrograms(): Map<string, string> {
  const found = new Map<string, string>(INDIRECT.map((p) => [p, 'test/ci/programs.test.ts (INDIRECT)']));
  for (const dir of SOURCE_DIRS) {
    for (const file of sourceFiles(join(root, dir))) {
      if (file === import.meta.filename) continue;
      const text = readFileSync(file, 'utf8');
      for (const re of [ABSOLUTE, BY_NAME]) {
        for (const m of text.matchAll(re)) if (!found.has(m[1]!)) found.set(m[1]!, file.slice(root.length + 1));
      }
    }
  }
  return found;
}

/** The package owning `path`; dpkg may know it by its pre-usrmerge name (/sbin/ip, /bin/bash). */
function packageOf(path: string): string | undefined {
  const names = [path, realpathSync(path)].flatMap((p) => [p, p.replace(/^\/usr\/(s?bin)\//, '/$1/')]);
  for (const p of new Set(names)) {
    try {
      // dpkg -S also prints "diversion by dash from: /bin/sh" lines: the owner is on the `pkg: path` line.
      const out = execFileSync('dpkg', ['-S', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const owner = out.split('\n').find((line) => !line.startsWith('diversion by') && line.includes(': '));
      if (owner) return owner.split(':')[0]!.trim();
    } catch {
      /* not owned under this name */
    }
  }
  return undefined;
}

const essential = (pkg: string): boolean =>
  execFileSync('dpkg-query', ['-W', '-f=${Essential}', pkg], { encoding: 'utf8' }).trim() === 'yes';

/** The packages .ci/run lists, with the ones they depend on directly (python3 → python3-minimal). */
function listedPackages(): Set<string> {
  const text = readFileSync(join(root, '.ci', 'run'), 'utf8');
  const m = /^packages=\(([^)]*)\)/m.exec(text);
  assert.ok(m, '.ci/run has no packages=(...) line');
  const listed = m[1]!.trim().split(/\s+/);
  const installed = new Set(listed);
  for (const pkg of listed) {
    let depends = '';
    try {
      depends = execFileSync('dpkg-query', ['-W', '-f=${Pre-Depends}, ${Depends}', pkg], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      continue;
    }
    for (const dep of depends.split(/[,|]/)) if (dep.trim()) installed.add(dep.trim().split(/[\s:(]/)[0]!);
  }
  return installed;
}

describe('programs the tests start', () => {
  const listed = listedPackages();
  const programs = collectPrograms();

  it('finds the programs (the scan itself works)', () => {
    for (const p of ['/usr/sbin/spamd', '/usr/sbin/smtp-sink', 'strace', 'openssl', 'smtp-source'])
      assert.ok(programs.has(p), `${p} not found by the scan`);
  });

  for (const [program, where] of programs) {
    it(`${program} comes from a package .ci/run installs`, () => {
      if (program === 'node') return;
      const path = findProgram(program);
      assert.ok(
        path,
        `${program} (started in ${where}) is not installed: add the Debian package that provides it to packages=(…) in .ci/run`,
      );
      const pkg = packageOf(path);
      assert.ok(
        pkg,
        `${program} (started in ${where}) resolves to ${path}, which no Debian package owns: start it by an absolute path from a package .ci/run lists`,
      );
      assert.ok(
        listed.has(pkg) || essential(pkg),
        `${program} (started in ${where}) comes from the Debian package "${pkg}", which .ci/run does not list: add it to packages=(…)`,
      );
    });
  }
});
