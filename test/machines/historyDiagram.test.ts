/**
 * `mailtrail history <id> --diagram`: the v1 fixture histories, appended to a MemoryEventLog
 * (and to a sqlite log for the CLI), drawn with their path: exactly the recorded states are
 * marked visited, `settling` is marked passed, taken transitions carry their step numbers,
 * and the DOT version colours the same path and parses with Graphviz when installed.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHistory, type History } from '../../src/replay/history.js';
import type { EventLog } from '../../src/eventlog/eventLog.js';
import { MemoryEventLog } from '../../src/eventlog/memory/memoryEventLog.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { historyDiagram, pathOfHistory } from '../../src/diagrams/historyDiagram.js';
import { runCli, writeCliConfig } from '../cli/cliProcess.js';

interface Fixture {
  stream: string;
  events: { type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[];
}

const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`../fixtures/histories/${name}`, import.meta.url), 'utf8')) as Fixture;

async function withFixtures(log: EventLog): Promise<EventLog> {
  for (const name of ['message-v1.json', 'session-v1.json']) {
    const f = fixture(name);
    await log.append(
      f.stream,
      f.events.map((e) => ({ type: e.type, data: e.data, metadata: e.metadata })),
      { expectedRevision: 'no_stream' },
    );
  }
  return log;
}

async function history(id: string): Promise<History> {
  const log = await withFixtures(new MemoryEventLog());
  const h = await loadHistory(log, id);
  await log.close();
  assert.ok(h, id);
  return h;
}

/** The state ids a Mermaid diagram puts in `class … NAME`. */
function classed(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim().startsWith('class ') && l.trim().endsWith(` ${name}`))
    .flatMap((l) => l.trim().split(' ')[1]!.split(','));
}

const tmp = mkdtempSync(join(tmpdir(), 'mailtrail-history-diagram-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('history --diagram', () => {
  it('marks exactly the states a message history recorded, and settling as passed through', async () => {
    const text = await historyDiagram(await history('M1'));
    assert.deepEqual(classed(text, 'visited').sort(), [
      'deferred',
      'delivered',
      'policies_applied',
      'received',
      'relay_attempted',
    ]);
    assert.deepEqual(classed(text, 'passed'), ['settling']);
    assert.match(text, /classDef visited /);
  });

  it('puts the step numbers on the transitions taken, always ones included', async () => {
    const text = await historyDiagram(await history('M1'));
    assert.ok(text.includes('new --> received: MessageReceived (step 1)\n'));
    assert.ok(
      text.includes('relay_attempted --> relay_attempted: DeliverySucceeded [isInFlightRecipient] (steps 4, 7)\n'),
    );
    assert.ok(text.includes('relay_attempted --> settling: always [everyRecipientSettled] (steps 5, 7)\n'));
    assert.ok(text.includes('settling --> deferred: always [hasPendingRecipients] (step 5)\n'));
    assert.ok(text.includes('settling --> delivered: always (step 7)\n'));
    assert.ok(text.includes('settling --> bounced: always [noneDelivered]\n'), 'a transition not taken has no step');
    assert.match(
      text,
      /note right of delivered\n\s+1\. MessageReceived → received\n[\s\S]*7\. DeliverySucceeded → delivered\n\s+end note/,
    );
  });

  it('follows a session through its nested states', async () => {
    const h = await history('S1');
    const path = pathOfHistory(h);
    assert.deepEqual([...path.visited].sort(), [
      'smtpSession.closed',
      'smtpSession.open.connected',
      'smtpSession.open.greeted',
      'smtpSession.open.mail',
      'smtpSession.open.rcpt',
    ]);
    assert.equal(path.passed.size, 0);
    assert.deepEqual(
      path.steps.map((s) => s.transitions.length),
      [1, 1, 1, 1, 1, 1, 1, 1],
    );
    const text = await historyDiagram(h);
    assert.ok(text.includes('open --> open_greeted: ClientGreeted (step 2)\n'));
    assert.ok(text.includes('open --> closed: SessionClosed (step 8)\n'));
  });

  it('colours the path in DOT with step numbers on nodes and edges', async () => {
    const text = await historyDiagram(await history('M1'), 'dot');
    const filled = text
      .split('\n')
      .filter((l) => l.includes('fillcolor="#c8e6c9"'))
      .map((l) => /^\s*"([^"]+)"/.exec(l)?.[1]);
    assert.deepEqual(filled.sort(), [
      'message.deferred',
      'message.delivered',
      'message.policies-applied',
      'message.received',
      'message.relay-attempted',
    ]);
    assert.ok(text.includes('"message.relay-attempted" [label="relay-attempted\\n#3, #4, #6"'));
    assert.match(
      text,
      /"message.settling" -> "message.delivered" \[label="7: always", style="dashed", color="#2e7d32"/,
    );
    const out = spawnSync('dot', ['-Tcanon'], { input: text, encoding: 'utf8' });
    assert.equal(out.status, 0, out.error ? String(out.error) : out.stderr);
  });

  it('prints the diagram from the CLI for a message in a sqlite log', async () => {
    const log = new SqliteEventLog(join(tmp, 'events.sqlite'));
    await withFixtures(log);
    await log.close();
    const config = writeCliConfig(tmp);
    const res = await runCli(['history', 'M1', '--diagram', '--config', config]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, await historyDiagram(await history('M1')));
    const dot = await runCli(['history', 'S1', '--diagram', '--format', 'dot', '--config', config]);
    assert.equal(dot.code, 0, dot.stderr);
    assert.match(
      dot.stdout,
      /^digraph "smtpSession" \{\n\s+graph \[compound="true", fontname="Helvetica", label="session-S1"/,
    );
  });
});
