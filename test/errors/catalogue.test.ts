/**
 * Keeps src/errors/catalogue.ts, the code and docs/errors.md in step (fastify style): every
 * `'ERR_…'` code written in src/ is catalogued and every catalogued code is still used; every
 * MailtrailError subclass in src/ has an entry whose code and SMTP status are what an instance
 * really carries; the doc has exactly the catalogue's rows; the DATA failure lines are right.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { MailtrailError } from '../../src/errors/mailtrailError.js';
import { errorCatalogue, errorCodes, errorEntryOf, errorRow } from '../../src/errors/catalogue.js';
import { replyLine } from '../../src/edge/smtpReply.js';
import { storeFailureReply } from '../../src/edge/dataReceiver.js';
import { BodyTooLargeError, SpoolIoError } from '../../src/spool/spoolErrors.js';
import { EventLogWriteError } from '../../src/eventlog/sqlite/sqliteErrors.js';

const root = join(import.meta.dirname, '..', '..');
const doc = await readFile(join(root, 'docs', 'errors.md'), 'utf8');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const sources = await Promise.all(
  (await sourceFiles(join(root, 'src')))
    .filter((f) => !f.endsWith(join('errors', 'catalogue.ts')))
    .map(async (file) => ({ file, text: await readFile(file, 'utf8') })),
);

/** Every `class X extends Y` in src/, with the file that declares it. */
const declared = new Map<string, { base: string; file: string }>();
for (const { file, text } of sources) {
  for (const m of text.matchAll(/\bclass (\w+) extends (\w+)/g)) declared.set(m[1]!, { base: m[2]!, file });
}
const isMailtrailError = (name: string): boolean =>
  name === 'MailtrailError' || (declared.has(name) && isMailtrailError(declared.get(name)!.base));
const errorClasses = [...declared.keys()].filter((n) => n !== 'MailtrailError' && isMailtrailError(n));

describe('the error catalogue', () => {
  it('lists every error code written in src/', () => {
    const used = new Set<string>();
    for (const { text } of sources) for (const m of text.matchAll(/['"`](ERR_[A-Z0-9_]+)['"`]/g)) used.add(m[1]!);
    const missing = [...used].filter((c) => !errorCodes.has(c));
    assert.deepEqual(missing, [], `codes used in src/ but not in src/errors/catalogue.ts: ${missing.join(', ')}`);
    const stale = [...errorCodes].filter((c) => !used.has(c));
    assert.deepEqual(stale, [], `catalogued codes no longer used in src/: ${stale.join(', ')}`);
  });

  it('has one entry for each MailtrailError subclass, and no entry for a class that is gone', () => {
    assert.ok(errorClasses.length >= 20, `found only ${errorClasses.length} error classes: is the scan broken?`);
    const missing = errorClasses.filter((n) => !errorEntryOf(n));
    assert.deepEqual(missing, [], `error classes without a catalogue entry: ${missing.join(', ')}`);
    const gone = errorCatalogue.filter((e) => e.class && !errorClasses.includes(e.class)).map((e) => e.class);
    assert.deepEqual(gone, [], `catalogued classes that src/ no longer declares: ${gone.join(', ')}`);
    for (const name of errorClasses)
      assert.equal(errorEntryOf(name)!.extends, declared.get(name)!.base, `${name}'s base class`);
    const keys = errorCatalogue.map((e) => `${e.code}/${e.class ?? ''}`);
    assert.equal(new Set(keys).size, keys.length, 'an entry is listed twice');
  });

  it('gives every error class its own code, so code can decide on it', () => {
    const byCode = new Map<string, string[]>();
    for (const e of errorCatalogue.filter((x) => x.class))
      byCode.set(e.code, [...(byCode.get(e.code) ?? []), e.class!]);
    const shared = [...byCode]
      .filter(([, classes]) => classes.length > 1)
      .map(([code, classes]) => `${code}: ${classes.join(', ')}`);
    assert.deepEqual(shared, [], 'codes carried by more than one class');
  });

  for (const name of errorClasses) {
    it(`${name} carries the code and SMTP status its entry gives`, async () => {
      const { file } = declared.get(name)!;
      const mod = (await import(join(root, relative(root, file)))) as Record<
        string,
        new (
          ...a: unknown[]
        ) => MailtrailError
      >;
      const Cls = mod[name];
      assert.ok(Cls, `${name} is not exported from ${relative(root, file)}`);
      // One string per required parameter: defaults (a base class's status) stay as they are.
      const err = new Cls(...Array<string>(Math.max(1, Cls.length)).fill('x'));
      assert.ok(err instanceof MailtrailError);
      const entry = errorEntryOf(name)!;
      assert.equal(err.code, entry.code);
      const smtp = err.smtpCode === undefined ? undefined : `${err.smtpCode} ${err.enhancedStatus}`;
      if (smtp === undefined) assert.equal(entry.smtp, undefined, `${name} carries no SMTP status`);
      else
        assert.ok(
          entry.smtp?.includes(smtp),
          `${name} carries ${smtp}, the catalogue says ${entry.smtp?.join(', ') ?? 'none'}`,
        );
    });
  }

  it('lists reply-only codes the control protocol really sends', async () => {
    const { ControlCodes } = await import('../../src/control/protocol.js');
    for (const e of errorCatalogue.filter((x) => !x.class))
      assert.ok(Object.values(ControlCodes).includes(e.code as never), `${e.code} is not a control reply code`);
  });
});

describe('docs/errors.md', () => {
  it('has a row for every catalogue entry, exactly as the catalogue renders it', () => {
    const lines = new Set(doc.split('\n'));
    for (const entry of errorCatalogue)
      assert.ok(lines.has(errorRow(entry)), `docs/errors.md lacks or differs from:\n${errorRow(entry)}`);
  });

  it('has no error row the catalogue does not have', () => {
    const rows = new Set(errorCatalogue.map(errorRow));
    const extra = doc.split('\n').filter((l) => l.startsWith('| `ERR_') && !rows.has(l));
    assert.deepEqual(extra, [], 'rows in docs/errors.md that are not in src/errors/catalogue.ts');
  });

  it('shows the lines a client gets when storing a message fails', () => {
    const silent = pino({ enabled: false });
    const full = new SpoolIoError('write', 'bodies/X', Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    const cases: [unknown, string][] = [
      [new BodyTooLargeError(1000), '552 5.3.4 Error: message exceeds fixed maximum message size 1000'],
      [full, '452 4.3.1 Error: insufficient system storage'],
      [new SpoolIoError('write', 'bodies/X', new Error('EIO')), '451 4.3.0 Error: queue file write error'],
      [new EventLogWriteError('events.sqlite', new Error('disk I/O error')), '451 4.3.0 Error: queue file write error'],
    ];
    for (const [err, line] of cases) {
      assert.equal(replyLine(storeFailureReply(err, silent)), line);
      const documented = line.replace('size 1000', 'size <maxMessageSize>');
      assert.ok(doc.includes(`\`${documented}\``), `docs/errors.md does not show \`${documented}\``);
    }
  });
});
