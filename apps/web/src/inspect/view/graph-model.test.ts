import { describe, expect, it } from "vitest";
import { runInspection, toInspection } from "../model";
import { drawnGraph, quotient } from "./graph-model";
import { layoutBoxes, layoutInput } from "./layout";
import { selectedKey, signatures } from "./selection";

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

  it("expands a layer into its own nodes only, and puts what several layers read apart", () => {
    // Dense layers multiply by a transposed weight: their matmuls are theirs, not conv2's.
    const q = quotient(lowered, 2, new Set(["conv2"]));
    const ops = q
      .filterNodes((_k, b) => b.group === undefined)
      .map((k) => lowered.nodes[q.getNodeAttribute(k, "members")[0]!]!.op);
    expect(ops).toContain("conv2d_grad_filter");
    expect(ops).not.toContain("matmul");
    expect(q.order).toBeLessThan(100);
    // A node of no layer read by several (Adam's bias corrections) is "(shared)", not the first's;
    // so is a chain feeding only such nodes.
    const top = (p: string) => p.split(".")[0];
    lowered.nodes.forEach((n, i) => {
      if (lowered.paths[i] !== "(shared)") return;
      const users = new Set(
        lowered.g.outNeighbors(String(i)).map((u) => top(lowered.paths[Number(u)]!)),
      );
      expect(n.path).toBeUndefined();
      // Its readers span several layers, or are themselves shared (a chain of such nodes).
      expect(users.size > 1 || users.has("(shared)"), `%${i} ${n.op}`).toBe(true);
    });
    expect(lowered.paths).toContain("(shared)");
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
      // Collapsed, the selection shows on its layer's box.
      expect(selectedKey(sel, d, signatures(d), 2, new Set())).toBe("g:conv2");
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
