/**
 * `mailtrail inspect <message-id|session-id> [--port P] [--step MS | --all] [--addresses show|mask]`:
 * replays that history from the log (read-only) into a no-op actor reporting to an inspector
 * relay — the running daemon's when it announced one (same port, or no --port), else one
 * started here on 127.0.0.1:P (default 8080, 0 = free port). Prints the page to open; one
 * event per --step ms (default 1000, after a viewer connects to a relay of its own) or --all at
 * once. With its own relay it keeps serving until SIGINT/SIGTERM; exit 1 when the id is unknown.
 */
import { parseArgs } from 'node:util';
import { readAnnouncement, reporterUrlFor } from '../inspect/announcement.js';
import { loadStoredHistory, replayInto } from '../inspect/historyReplay.js';
import { parseAddressMode, parseInspectPort } from '../inspect/inspectFlags.js';
import { InspectorClient } from '../inspect/inspectorClient.js';
import { DEFAULT_INSPECT_PORT, InspectorRelay } from '../inspect/inspectorRelay.js';
import { configFrom, openLogReadonly, UsageError } from './openLog.js';

const USAGE =
  'usage: mailtrail inspect <message-id|session-id> [--port P] [--step MS | --all] [--addresses show|mask] [--config FILE]';

export const options = {
  config: { type: 'string', short: 'c' },
  port: { type: 'string' },
  step: { type: 'string' },
  all: { type: 'boolean' },
  addresses: { type: 'string' },
} as const;

const out = (line: string): void => void process.stdout.write(`${line}\n`);

function stepOf(values: { step?: string | undefined; all?: boolean | undefined }): number {
  if (values.all && values.step !== undefined) throw new UsageError(`--step and --all exclude each other\n${USAGE}`);
  if (values.all) return 0;
  if (values.step === undefined) return 1000;
  if (!/^\d+$/.test(values.step))
    throw new UsageError(`--step MS: not a number of milliseconds: ${JSON.stringify(values.step)}`);
  return Number(values.step);
}

function interrupted(): { promise: Promise<void>; signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const promise = new Promise<void>((resolve) =>
    controller.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  return {
    promise,
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError(USAGE);
  const stepMs = stepOf(values);
  const port = values.port === undefined ? undefined : parseInspectPort(values.port, '--port');
  const addresses = parseAddressMode(values.addresses, '--addresses');
  const config = await configFrom(values);
  const log = await openLogReadonly(config);
  const history = await loadStoredHistory(log, id).finally(() => log.close());
  if (!history) {
    process.stderr.write(`mailtrail inspect: no message or session ${id}\n`);
    return 1;
  }

  const stop = interrupted();
  const client = new InspectorClient({ addresses, namespace: `replay.${process.pid}:` });
  let relay: InspectorRelay | undefined;
  let pageUrl: string;
  try {
    const running = readAnnouncement(config.dataDir);
    if (running && (port === undefined || port === running.port)) {
      client.connect(reporterUrlFor(running));
      if (!(await client.waitConnected(2000))) await client.close();
    }
    if (client.connected && running) {
      pageUrl = `http://127.0.0.1:${running.port}/`;
      out(`mailtrail inspect: reporting to the daemon's inspector; open ${pageUrl}`);
    } else {
      relay = new InspectorRelay({ port: port ?? DEFAULT_INSPECT_PORT });
      const address = await relay.start();
      pageUrl = address.pageUrl;
      client.connect(address.reporterUrl);
      if (!(await client.waitConnected(5000))) throw new Error('could not connect to the inspector relay it started');
      out(`mailtrail inspect: open ${pageUrl} (Stately's inspector)`);
      if (stepMs > 0 && relay.viewers === 0) {
        out('waiting for a viewer…');
        await Promise.race([relay.waitForViewer(), stop.promise]);
      }
    }
    out(`replaying ${history.stream}: ${history.events.length} events${stepMs ? `, one every ${stepMs} ms` : ''}`);
    const state = await replayInto(history, {
      inspect: client.inspect,
      stepMs,
      signal: stop.signal,
      onStep: ({ recorded, state: s }) =>
        out(`  ${String(recorded.revision).padStart(3)}  ${recorded.type.padEnd(18)} → ${s}`),
    });
    await client.flush();
    out(`${history.stream}: ${state}`);
    if (relay && !stop.signal.aborted) {
      out(`serving ${pageUrl} until interrupted (Ctrl-C)`);
      await stop.promise;
    }
    return 0;
  } finally {
    stop.dispose();
    await client.close();
    await relay?.stop();
  }
}
