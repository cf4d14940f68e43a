/**
 * `mailtrail machines export`: the JSON config round-trips through createMachine, Mermaid and
 * DOT name every state and transition (the `always` ones out of `settling` and
 * `relay-attempted` included), DOT parses with Graphviz and SVG renders when `dot` is
 * installed, and a missing Graphviz is one clear line and exit 69, not a stack trace.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMachine } from 'xstate';
import { exportedMachines } from '../../src/diagrams/exportedMachines.js';
import { machineGraph, transitionLabel } from '../../src/diagrams/machineGraph.js';
import { machineJson } from '../../src/diagrams/machineJson.js';
import { mermaidId, toMermaid } from '../../src/diagrams/mermaid.js';
import { toDot } from '../../src/diagrams/dot.js';
import { GraphvizMissingError, renderSvg } from '../../src/diagrams/svg.js';
import { runCli } from '../cli/cliProcess.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mailtrail-machines-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const machine = (name: string) => exportedMachines.find((m) => m.name === name)!.machine;

describe('machines export --format json', () => {
  for (const { name, machine: m } of exportedMachines) {
    it(`the ${name} JSON builds, with createMachine, the same states and transitions`, () => {
      const parsed = JSON.parse(machineJson(m)) as Record<string, unknown>;
      assert.equal(parsed.id, m.id);
      const original = machineGraph(m);
      const rebuilt = machineGraph(createMachine(parsed as never));
      assert.deepEqual(
        rebuilt.states.map((s) => s.id),
        original.states.map((s) => s.id),
      );
      assert.deepEqual(rebuilt.transitions, original.transitions);
    });
  }

  it('contains every state id and every event name of both machines', () => {
    for (const { machine: m } of exportedMachines) {
      const text = machineJson(m);
      const graph = machineGraph(m);
      for (const s of graph.states) assert.ok(text.includes(`"${s.key}": {`), `state ${s.id}`);
      for (const t of graph.transitions) if (t.event) assert.ok(text.includes(`"${t.event}"`), `event ${t.event}`);
    }
  });

  it('keeps guards by name and marks the always transitions', () => {
    const json = JSON.parse(machineJson(machine('message'))) as { states: Record<string, { always?: unknown }> };
    assert.deepEqual(json.states['relay-attempted']?.always, { guard: 'everyRecipientSettled', target: 'settling' });
    assert.equal((json.states.settling!.always as unknown[]).length, 3);
  });
});

describe('machines export --format mermaid', () => {
  it('draws every state and transition of the message machine, always transitions included', () => {
    const graph = machineGraph(machine('message'));
    const text = toMermaid(graph);
    assert.match(text, /^stateDiagram-v2\n/);
    for (const s of graph.states) assert.match(text, new RegExp(`\\b${mermaidId(graph, s.id)}\\b`));
    for (const t of graph.transitions) {
      assert.ok(
        text.includes(`${mermaidId(graph, t.source)} --> ${mermaidId(graph, t.target)}: ${transitionLabel(t)}\n`),
        transitionLabel(t),
      );
    }
    assert.ok(text.includes('relay_attempted --> settling: always [everyRecipientSettled]\n'));
    assert.ok(text.includes('settling --> deferred: always [hasPendingRecipients]\n'));
    assert.ok(text.includes('settling --> bounced: always [noneDelivered]\n'));
    assert.ok(text.includes('settling --> delivered: always\n'));
    for (const final of ['delivered', 'bounced', 'split', 'deleted'])
      assert.ok(text.includes(`  ${final} --> [*]\n`), final);
  });

  it("nests the session machine's open state with its own start and keeps open's own transitions outside", () => {
    const text = toMermaid(machineGraph(machine('smtpSession')));
    const block = /\n {2}state open \{\n([\s\S]*?)\n {2}\}\n/.exec(text)?.[1] ?? '';
    assert.ok(block.includes('[*] --> open_connected'));
    assert.ok(block.includes('open_rcpt --> open_greeted: MessageAccepted [hasRecipients]'));
    assert.ok(text.includes('\n  open --> closed: SessionClosed\n'));
    assert.ok(text.includes('\n  open --> open_greeted: ClientGreeted\n'));
    assert.ok(text.includes('\n  closed --> [*]\n'));
  });
});

describe('machines export --format dot / svg', () => {
  for (const { name, machine: m } of exportedMachines) {
    it(`the ${name} DOT has every state as a node and every transition as an edge`, () => {
      const graph = machineGraph(m);
      const text = toDot(graph);
      assert.match(text, new RegExp(`^digraph "${m.id}" \\{\\n`));
      for (const s of graph.states)
        if (s.type !== 'compound') assert.ok(text.includes(`"${s.id}" [label="${s.key}"`), s.id);
      const edges = text.split('\n').filter((l) => / -> .*\[label=/.test(l));
      // A state's self-loops are one edge: one label line per transition.
      const loops = new Set(
        graph.transitions
          .filter((t) => t.source === t.target && !graph.states.find((x) => x.id === t.source && x.type === 'compound'))
          .map((t) => t.source),
      );
      const loopTransitions = graph.transitions.filter((t) => loops.has(t.source) && t.source === t.target).length;
      assert.equal(edges.length, graph.transitions.length - loopTransitions + loops.size);
      for (const t of graph.transitions) assert.ok(text.includes(transitionLabel(t)), `${transitionLabel(t)} is drawn`);
      for (const s of graph.states.filter((x) => x.type === 'final'))
        assert.match(text, new RegExp(`"${s.id}" \\[label="${s.key}", peripheries=2\\]`));
    });

    it(`the ${name} DOT is accepted by Graphviz`, () => {
      const out = spawnSync('dot', ['-Tcanon'], { input: toDot(machineGraph(m)), encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      assert.equal(out.stderr, '', 'no warnings (compound edges clip cleanly)');
    });
  }

  it('renders SVG with dot -Tsvg', async () => {
    const svg = await renderSvg(toDot(machineGraph(machine('message'))));
    assert.match(svg, /<svg[\s>]/);
    assert.ok(svg.includes('relay&#45;attempted') || svg.includes('relay-attempted'));
  });

  it('fails with GraphvizMissingError when dot is not on PATH', async () => {
    await assert.rejects(renderSvg('digraph x {}', { command: 'mailtrail-no-such-dot' }), GraphvizMissingError);
  });
});

describe('the machines command', () => {
  it('writes message.<ext> and smtpSession.<ext> with --out', async () => {
    const dir = join(tmp, 'out');
    const res = await runCli(['machines', 'export', '--format', 'mermaid', '--out', dir]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(readFileSync(join(dir, 'message.mmd'), 'utf8'), toMermaid(machineGraph(machine('message'))));
    assert.equal(readFileSync(join(dir, 'smtpSession.mmd'), 'utf8'), toMermaid(machineGraph(machine('smtpSession'))));
  });

  it('prints both machines as one JSON object on stdout', async () => {
    const res = await runCli(['machines', 'export']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(Object.keys(JSON.parse(res.stdout) as object), ['message', 'smtpSession']);
  });

  it('says Graphviz is missing and exits 69 when svg is asked for without dot', async () => {
    const res = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          '--import',
          'tsx',
          join(ROOT, 'src/cli/run.ts'),
          'machines',
          'export',
          '--format',
          'svg',
          '--out',
          join(tmp, 'svg'),
        ],
        { cwd: ROOT, env: { ...process.env, PATH: join(tmp, 'empty-path'), DEBUG: '' } },
        (err, _stdout, stderr) => resolve({ code: typeof err?.code === 'number' ? err.code : 0, stderr }),
      );
    });
    assert.equal(res.code, 69);
    assert.match(res.stderr, /^mailtrail machines: Graphviz is not installed .*apt-get install graphviz/);
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
  });

  it('rejects an unknown format with the usage and exit 64', async () => {
    const res = await runCli(['machines', 'export', '--format', 'png']);
    assert.equal(res.code, 64);
    assert.match(res.stderr, /unknown format "png"/);
  });
});
