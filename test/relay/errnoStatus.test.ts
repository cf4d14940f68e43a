/**
 * The errno → RFC 3463 table of the mailbox relays, row by row against Postfix's
 * mbox_dsn() (global/mbox_open.c) and the 4.2.0 default its maildir.c passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errnoCode, errnoStatus } from '../../src/relay/errnoStatus.js';

const sysError = (code: string) => Object.assign(new Error(`${code}: boom`), { code, errno: -1 });

const table: Array<[label: string, err: unknown, status: string, outcome: 'transient' | 'permanent']> = [
  ['EAGAIN', sysError('EAGAIN'), '4.2.0', 'transient'],
  ['EWOULDBLOCK', sysError('EWOULDBLOCK'), '4.2.0', 'transient'],
  ['ESTALE', sysError('ESTALE'), '4.2.0', 'transient'],
  ['ENOSPC', sysError('ENOSPC'), '4.3.0', 'transient'],
  ['EDQUOT', sysError('EDQUOT'), '5.2.2', 'permanent'],
  ['EFBIG', sysError('EFBIG'), '5.2.2', 'permanent'],
  ['EACCES (default)', sysError('EACCES'), '4.2.0', 'transient'],
  ['EPERM (default)', sysError('EPERM'), '4.2.0', 'transient'],
  ['ENOTDIR (default)', sysError('ENOTDIR'), '4.2.0', 'transient'],
  ['EIO (default)', sysError('EIO'), '4.2.0', 'transient'],
  ['an Error without errno', new Error('bug'), '4.0.0', 'transient'],
  ['a non-errno code', Object.assign(new Error('x'), { code: 'ERR_STREAM_DESTROYED' }), '4.0.0', 'transient'],
  ['a thrown string', 'oops', '4.0.0', 'transient'],
];

for (const [label, err, status, outcome] of table) {
  test(`maps ${label} to ${status} ${outcome}`, () => {
    assert.deepEqual(errnoStatus(err), { status, outcome });
  });
}

test('uses the caller default for an errno outside the table', () => {
  assert.deepEqual(errnoStatus(sysError('EACCES'), '5.3.0'), { status: '5.3.0', outcome: 'permanent' });
  assert.deepEqual(errnoStatus(sysError('ENOSPC'), '5.3.0'), { status: '4.3.0', outcome: 'transient' });
});

test('reads the errno code of a real system error', async () => {
  const { open } = await import('node:fs/promises');
  const err = await open('/nonexistent/dir/file').catch((e: unknown) => e);
  assert.equal(errnoCode(err), 'ENOENT');
});
