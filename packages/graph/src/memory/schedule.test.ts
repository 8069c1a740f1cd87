import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alu, int } from "../expr";
import type { BufferInfo, Kernel, Plan } from "../plan";
import { kernelReads } from "./liveness";
import { planMemory } from "./plan-memory";
import { scheduleForMemory } from "./schedule";
import { arbPlan, flatIndex, load, overlaps, simulate } from "./test-oracles";

/** Every kernel-written buffer a kernel reads was written by an earlier kernel. */
const readsAfterWrites = (p: Plan): boolean => {
  const written = new Set<number>();
  const producers = new Set(p.kernels.map((k) => k.out));
  return p.kernels.every((k) => {
    const ok = kernelReads(k).every((b) => !producers.has(b) || written.has(b));
    written.add(k.out);
    return ok;
  });
};

describe("scheduleForMemory on random plans", () => {
  it("permutes the kernels, keeps every read after its write, and never raises the peak", () => {
    fc.assert(
      fc.property(arbPlan, fc.boolean(), (plan, inPlace) => {
        const s = scheduleForMemory(plan, { inPlace });
        expect([...s.kernels].sort((a, b) => a.out - b.out)).toEqual(
          [...plan.kernels].sort((a, b) => a.out - b.out),
        );
        expect(readsAfterWrites(s)).toBe(true);
        const before = planMemory(plan, { inPlace }).stats.lowerBoundBytes;
        const { plan: p, stats } = planMemory(s, { inPlace });
        expect(stats.lowerBoundBytes).toBeLessThanOrEqual(before);
        expect(overlaps(p)).toEqual([]);
        expect(simulate(p)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

const f32 = (id: number, n: number, kind: BufferInfo["kind"] = "temp"): BufferInfo => ({
  id,
  shape: [n],
  dtype: "float32",
  kind,
});
/** out = sum of the inputs, element by element (inputs as long as the output). */
const ew = (out: number, inputs: number[], n: number): Kernel => ({
  kind: "expr",
  out,
  inputs,
  shape: [n],
  expr: inputs.reduce<ReturnType<typeof alu>>(
    (acc, _, j) => alu("add", [acc, load(j, flatIndex([n]))]),
    alu("add", [int(0), int(0)]),
  ),
  nodes: [],
});

describe("scheduleForMemory on a training-step shape", () => {
  // x -> a (big activation); x -> s (small); b = f(a) (big, the backward of a); y = b (output);
  // w = h(s) (a weight gradient); u = w (the update, an output). Traced order: a, s, b, y, w, u:
  // s is held across the big pair. Better: s, w, u first, then a, b, y.
  const plan: Plan = {
    buffers: [
      f32(0, 1000, "input"),
      f32(1, 1000),
      f32(2, 100),
      f32(3, 1000),
      f32(4, 1000),
      f32(5, 300),
      f32(6, 300),
    ],
    kernels: [ew(1, [0], 1000), ew(2, [0], 100), ew(3, [1], 1000), ew(4, [3], 1000)].concat([
      { kind: "expr", out: 5, inputs: [2], shape: [300], expr: load(0, int(0)), nodes: [] },
      ew(6, [5], 300),
    ]),
    inputs: { x: 0 },
    outputs: { y: 4, u: 6 },
  };

  it("runs the weight gradient and its update before the big pair, lowering the peak", () => {
    const s = scheduleForMemory(plan, { inPlace: false, alignment: 1 });
    expect(s.kernels.map((k) => k.out)).toEqual([2, 5, 6, 1, 3, 4]);
    expect(planMemory(plan, { inPlace: false, alignment: 1 }).stats.lowerBoundBytes).toBe(8400);
    expect(planMemory(s, { inPlace: false, alignment: 1 }).stats.lowerBoundBytes).toBe(8000);
  });

  it("keeps a plan whose order is already best", () => {
    const best = scheduleForMemory(plan, { inPlace: false });
    expect(scheduleForMemory(best, { inPlace: false }).kernels).toEqual(best.kernels);
  });
});
