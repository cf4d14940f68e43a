/**
 * handOver(), the chown before a privilege drop, gives away only what it is given: a symlink
 * in the spool is changed itself (its target stays root's), and a file with a second link —
 * another file's name too — is left alone. Needs root, as CI runs.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handOver } from '../../src/daemon/privileges.js';
import { storageFiles } from '../../src/storage/storageFiles.js';
import { ensureSystemUser } from '../support/systemUser.js';

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('handOver', { skip: isRoot ? false : 'needs root to chown' }, () => {
  it('gives the spool tree to the user without following symlinks or giving away other names of a file', () => {
    const user = ensureSystemUser();
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-handover-'));
    dirs.push(dir);
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'root only', { mode: 0o600 });
    const bodies = join(dir, 'data', 'spool', 'bodies');
    mkdirSync(bodies, { recursive: true });
    writeFileSync(join(bodies, 'BODY1'), 'a body');
    symlinkSync(secret, join(bodies, 'LINK'));
    linkSync(secret, join(bodies, 'HARD'));
    const files = storageFiles({ dir: join(dir, 'data'), dirIsOurs: true, spoolRoot: join(dir, 'data', 'spool') });
    handOver(files.handOver, user);
    assert.equal(statSync(join(bodies, 'BODY1')).uid, user.uid);
    assert.equal(statSync(bodies).uid, user.uid);
    assert.equal(statSync(join(dir, 'data')).uid, user.uid);
    assert.equal(lstatSync(join(bodies, 'LINK')).uid, user.uid, 'the symlink itself');
    assert.equal(statSync(secret).uid, 0, 'neither the symlink nor the hard link gave the file away');
  });
});
