import type Graph from "graphology";
import { describe, expect, it } from "vitest";
import { runInspection, toInspection } from "../model";
import type { Box } from "./graph-model";
import { drawnGraph, quotient } from "./graph-model";
import { layoutBoxes, layoutInput } from "./layout";
import { selectedKey, signatures } from "./selection";

/** Whether a directed graph has no cycle (Kahn: every box can be removed in topological order). */
const acyclic = (q: Graph<Box>): boolean => {
  const indeg = new Map(q.mapNodes((k) => [k, q.inDegree(k)] as const));
  const ready = [...indeg].filter(([, d]) => d === 0).map(([k]) => k);
  let seen = 0;
  while (ready.length > 0) {
    const k = ready.pop()!;
    seen++;
    for (const u of q.outNeighbors(k)) {
      indeg.set(u, indeg.get(u)! - 1);
      if (indeg.get(u) === 0) ready.push(u);
    }
  }
  return seen === q.order;
};

describe("the Graph panel's model of LeNet's training step", () => {
  const request = { model: "lenet", train: true, batch: 8 };
  const data = toInspection(request, runInspection(request));
  const lowered = drawnGraph(data.graph.nodes);

  it("keeps each graph stage's graph, the size its stage row counts", () => {
    expect(data.stageGraphs.map((g) => g.stage)).toEqual(["input", "infer-shapes", "simplify"]);
    for (const g of data.stageGraphs) {
      expect(g.nodes.length).toBe(data.stages.find((r) => r.name === g.stage)!.nodes);
      expect(g.nodes.every((n, i) => n.id === i && n.inputs.every((j) => j < i))).toBe(true);
    }
  });

  it("collapses a layer's forward and backward apart, so the drawn graph has no cycle", () => {
    // Gradient ops never feed the loss: they are all backward, and the loss is forward.
    const grads = /_grad(_|$)/;
    lowered.nodes.forEach((n, i) => {
      if (grads.test(n.op)) expect(lowered.phases[i], n.op).toBe("backward");
      if (n.name === "loss" || n.name === "x") expect(lowered.phases[i]).toBe("forward");
    });
    const collapsed = quotient(lowered, 2, new Set());
    expect(collapsed.hasNode("g:conv2")).toBe(true);
    expect(collapsed.hasNode("g:conv2:backward")).toBe(true);
    for (const expanded of [[], ["conv2"], ["conv1", "fc1"]])
      expect(acyclic(quotient(lowered, 2, new Set(expanded))), expanded.join()).toBe(true);
  });

  it("lays every box out with each edge leaving its source and reaching its target", () => {
    const q = quotient(lowered, 2, new Set(["fc3"]));
    const lay = layoutBoxes(layoutInput(q));
    expect([...lay.boxes.keys()].sort()).toEqual(q.nodes().sort());
    const near = (p: { x: number; y: number }, key: string) => {
      const b = lay.boxes.get(key)!;
      return Math.abs(p.x - b.x) <= b.width / 2 + 1 && Math.abs(p.y - b.y) <= b.height / 2 + 1;
    };
    for (const e of lay.edges) {
      expect(near(e.points[0]!, e.from), `${e.from} -> ${e.to}`).toBe(true);
      expect(near(e.points.at(-1)!, e.to), `${e.from} -> ${e.to}`).toBe(true);
    }
    // Kernel clusters enclose their nodes.
    for (const key of q.nodes()) {
      const k = q.getNodeAttribute(key, "kernel");
      if (k === undefined) continue;
      const c = lay.clusters.get(k)!;
      const b = lay.boxes.get(key)!;
      expect(Math.abs(b.x - c.x) + b.width / 2).toBeLessThanOrEqual(c.width / 2 + 1);
    }
  });

  it("finds a selected node again in the stages that still compute it, and says when one does not", () => {
    const sigs = signatures(lowered);
    const grad = lowered.nodes.findIndex(
      (n) => n.op === "conv2d_grad_filter" && lowered.paths[n.id] === "conv2",
    );
    expect(grad).toBeGreaterThanOrEqual(0);
    const sel = { sig: sigs[grad]! };
    for (const g of data.stageGraphs) {
      const d = drawnGraph(g.nodes);
      const key = selectedKey(sel, d, signatures(d), 2, new Set(["conv2"]));
      expect(key, g.stage).toMatch(/^n\d+$/);
      const n = d.nodes[Number(key!.slice(1))]!;
      expect([n.op, d.paths[n.id], n.shape]).toEqual([
        "conv2d_grad_filter",
        "conv2",
        [16, 6, 5, 5],
      ]);
      // Collapsed, the selection shows on its layer's backward box.
      expect(selectedKey(sel, d, signatures(d), 2, new Set())).toBe("g:conv2:backward");
    }
    // A node simplify removed is not found in the stages after it.
    const traced = drawnGraph(data.stageGraphs[0]!.nodes);
    const tracedSigs = signatures(traced);
    const simplified = new Set(signatures(drawnGraph(data.stageGraphs[2]!.nodes)));
    const gone = tracedSigs.find((s) => !simplified.has(s))!;
    expect(gone).toBeDefined();
    const all = new Set(lowered.paths);
    expect(selectedKey({ sig: gone }, lowered, sigs, 2, all)).toBeUndefined();
  });
});
