/**
 * The shared event-log contract run against a real KurrentDB server. Set
 * KURRENTDB_CONNECTION_STRING (e.g. kurrentdb://admin:changeit@localhost:2113?tls=false;
 * the user must be allowed to read $all) to run it; without it the suite is reported as
 * skipped. Each test uses fresh stream names, so cleanup only closes the logs: the
 * streams stay on the server (point it at a scratch database).
 */
import { eventLogContract } from './eventLog.contract.js';
import { KurrentdbEventLog } from '../../src/eventlog/kurrentdb/kurrentdbEventLog.js';

const connectionString = process.env.KURRENTDB_CONNECTION_STRING;

eventLogContract(
  'kurrentdb',
  async () => {
    const opened: KurrentdbEventLog[] = [];
    const open = (): KurrentdbEventLog => {
      const log = new KurrentdbEventLog(connectionString!);
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
  },
  { skip: connectionString ? false : 'KURRENTDB_CONNECTION_STRING is not set (no KurrentDB server)' },
);
