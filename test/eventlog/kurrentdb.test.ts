/**
 * The shared event-log contract for the kurrentdb adapter, on every run against
 * FakeKurrentClient (an in-memory stand-in for KurrentDBClient, named as a fake: it keeps the
 * server semantics the adapter relies on, see kurrentdbFakeClient.ts), and also against a
 * real KurrentDB server when KURRENTDB_CONNECTION_STRING is set (e.g.
 * kurrentdb://admin:changeit@localhost:2113?tls=false; the user must be allowed to read $all).
 * The fake's reopen() is a new adapter over the same fake (the same "server"). On the real
 * server each test uses fresh stream names, so cleanup only closes the logs: the streams stay
 * (point it at a scratch database).
 */
import type { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { eventLogContract } from './eventLog.contract.js';
import { KurrentdbEventLog } from '../../src/eventlog/kurrentdb/kurrentdbEventLog.js';
import { FakeKurrentClient } from './kurrentdbFakeClient.js';

eventLogContract('kurrentdb (FakeKurrentClient, offline)', async () => {
  const fake = new FakeKurrentClient();
  const opened: KurrentdbEventLog[] = [];
  const open = (): KurrentdbEventLog => {
    const log = new KurrentdbEventLog(fake as unknown as KurrentDBClient);
    opened.push(log);
    return log;
  };
  return {
    log: open(),
    reopen: async () => open(),
    cleanup: async () => {
      await Promise.all(opened.map((log) => log.close()));
    },
  };
});

const connectionString = process.env.KURRENTDB_CONNECTION_STRING;

if (connectionString) {
  eventLogContract('kurrentdb (server)', async () => {
    const opened: KurrentdbEventLog[] = [];
    const open = (): KurrentdbEventLog => {
      const log = new KurrentdbEventLog(connectionString);
      opened.push(log);
      return log;
    };
    return {
      log: open(),
      reopen: async () => open(),
      cleanup: async () => {
        await Promise.all(opened.map((log) => log.close()));
      },
    };
  });
}
