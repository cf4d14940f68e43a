/**
 * Runs the claims contract (claims.contract.ts) on every adapter: memory, sqlite, PostgreSQL
 * (a real server started here), the KurrentDB adapter over FakeKurrentClient (offline, named
 * as a fake), and a real KurrentDB server when KURRENTDB_CONNECTION_STRING is set.
 */
import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { MemoryEventLog } from '../../src/eventlog/memory/memoryEventLog.js';
import { createMemoryStorage } from '../../src/eventlog/memory/memoryStorage.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { PostgresEventLog } from '../../src/eventlog/postgres/index.js';
import { KurrentdbEventLog } from '../../src/eventlog/kurrentdb/kurrentdbEventLog.js';
import { FakeKurrentClient } from '../eventlog/kurrentdbFakeClient.js';
import { startPostgres, type PostgresServer } from '../support/postgresServer.js';
import { claimsContract } from './claims.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-claims-'));
let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

claimsContract('memory', async () => {
  const storage = createMemoryStorage();
  const logs = [new MemoryEventLog(storage), new MemoryEventLog(storage)] as const;
  return {
    logs,
    cleanup: async () => {
      await Promise.all(logs.map((l) => l.close()));
    },
  };
});

claimsContract('sqlite', async () => {
  const path = join(dir, `claims-${Date.now()}.sqlite`);
  const log = new SqliteEventLog(path);
  // One writer per sqlite file: both "nodes" share the one instance (the conflict is still the log's).
  return { logs: [log, log] as const, cleanup: () => log.close() };
});

claimsContract('postgres', async () => {
  const url = await server.createDatabase();
  const logs = [new PostgresEventLog(url, { node: 'mx1' }), new PostgresEventLog(url, { node: 'mx2' })] as const;
  return {
    logs,
    cleanup: async () => {
      await Promise.all(logs.map((l) => l.close()));
    },
  };
});

claimsContract('kurrentdb (FakeKurrentClient, offline)', async () => {
  const fake = new FakeKurrentClient();
  const logs = [
    new KurrentdbEventLog(fake as unknown as KurrentDBClient),
    new KurrentdbEventLog(fake as unknown as KurrentDBClient),
  ] as const;
  return {
    logs,
    cleanup: async () => {
      await Promise.all(logs.map((l) => l.close()));
    },
  };
});

const kurrent = process.env.KURRENTDB_CONNECTION_STRING;
if (kurrent) {
  claimsContract('kurrentdb (server)', async () => {
    const logs = [new KurrentdbEventLog(kurrent), new KurrentdbEventLog(kurrent)] as const;
    return {
      logs,
      cleanup: async () => {
        await Promise.all(logs.map((l) => l.close()));
      },
    };
  });
}
