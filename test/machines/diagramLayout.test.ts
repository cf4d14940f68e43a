/**
 * The DOT/SVG diagrams read right (issue 10, point 10): a state's self-loops are one loop whose
 * label lists them, set off from the loop, and Graphviz places every loop label outside every
 * loop drawn on that state (checked on `dot -Tjson`'s layout: label box against the splines);
 * a compound state's transition to its own child (`open`'s ClientGreeted) starts at the
 * compound's initial state (`connected`), not at its start point.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { exportedMachines } from '../../src/diagrams/exportedMachines.js';
import { machineGraph } from '../../src/diagrams/machineGraph.js';
import { toDot } from '../../src/diagrams/dot.js';

interface LayoutEdge {
  tail: number;
  head: number;
  _draw_?: { op: string; points?: number[][] }[];
  _ldraw_?: { op: string; pt?: number[]; align?: string; width?: number; text?: string }[];
}
interface Layout {
  objects: { _gvid: number; name: string }[];
  edges?: LayoutEdge[];
}

const machine = (name: string) => exportedMachines.find((m) => m.name === name)!.machine;

describe('machine diagrams', () => {
  it('draws ClientGreeted from connected, not from the start point of open', () => {
    const text = toDot(machineGraph(machine('smtpSession')));
    assert.match(
      text,
      /^ {2}"smtpSession\.open\.connected" -> "smtpSession\.open\.greeted" \[label="ClientGreeted"\];$/m,
    );
    assert.doesNotMatch(text, /"smtpSession\.open\.__start" -> "smtpSession\.open\.greeted"/);
  });

  for (const { name, machine: m } of exportedMachines) {
    it(`${name}: one self-loop per state, its label set off from the loop`, () => {
      const text = toDot(machineGraph(m));
      const loops = [...text.matchAll(/^ {2}"([^"]+)" -> "\1" \[label="([^"]*)"/gm)];
      assert.ok(loops.length > 0);
      const nodes = loops.map((l) => l[1]);
      assert.equal(new Set(nodes).size, nodes.length, `a state with two loop edges: ${nodes.join(', ')}`);
      for (const l of loops)
        for (const line of l[2]!.split('\\l').filter(Boolean))
          assert.ok(line.startsWith('\u00a0\u00a0\u00a0'), `loop label line "${line}" has its margin`);
    });

    it(`${name}: Graphviz places each loop label outside the loops of its state`, () => {
      const out = spawnSync('dot', ['-Tjson'], { input: toDot(machineGraph(m)), encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const layout = JSON.parse(out.stdout) as Layout;
      const loopEdges = (layout.edges ?? []).filter((e) => e.tail === e.head);
      assert.ok(loopEdges.length > 0);
      for (const e of loopEdges) {
        const rightmost = Math.max(
          ...loopEdges
            .filter((o) => o.tail === e.tail)
            .flatMap((o) => (o._draw_ ?? []).flatMap((d) => (d.points ?? []).map((p) => p[0]!))),
        );
        for (const t of (e._ldraw_ ?? []).filter((d) => d.op === 'T')) {
          const left = t.align === 'l' ? t.pt![0]! : t.align === 'r' ? t.pt![0]! - t.width! : t.pt![0]! - t.width! / 2;
          assert.ok(
            left >= rightmost,
            `${layout.objects[e.tail]?.name}: label "${t.text}" starts at x=${left}, inside its loops (up to x=${rightmost})`,
          );
        }
      }
    });
  }
});
