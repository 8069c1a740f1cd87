import { describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import type { DType } from "@loom/graph";
import { DTYPE_BYTES } from "@loom/graph";
import { STAGE_NAMES } from "@loom/ops";
import { profileKernels, runInspection, toInspection } from "./index";

describe("the inspection of LeNet's training step", () => {
  const request = { model: "lenet", train: true, batch: 8 };
  const report = runInspection(request);
  const data = toInspection(request, report);

  it("has a row per pipeline stage, with the fused plan's kernel count", () => {
    expect(data.stages.map((s) => s.name)).toEqual([...STAGE_NAMES]);
    expect(data.stages.at(-1)!.kernels).toBe(report.planned.kernels.length);
    expect(data.stages[2]!.changes[0]).toMatch(/^-\d+ nodes$/);
    expect(data.kernels.length).toBe(report.planned.kernels.length);
  });

  it("draws a memory timeline whose buffers never share live bytes and fit under the peak", () => {
    const m = data.memory!;
    expect(m.peakBytes).toBe(report.memory!.peakBytes);
    const arena = m.buffers.filter((b) => b.offset !== undefined && b.bytes > 0);
    expect(Math.max(...arena.map((b) => b.offset! + b.bytes))).toBeLessThanOrEqual(m.peakBytes);
    for (const a of arena)
      for (const b of arena) {
        if (a.id >= b.id || a.end < b.start || b.end < a.start) continue;
        // An in-place write shares its input's bytes at the one step where the input dies.
        if (a.inPlaceOf === b.id || b.inPlaceOf === a.id) continue;
        const apart = a.offset! + a.bytes <= b.offset! || b.offset! + b.bytes <= a.offset!;
        expect(apart, `b${a.id} and b${b.id}`).toBe(true);
      }
    expect(m.buffers.filter((b) => b.inPlaceOf !== undefined).length).toBe(m.inPlace);
  });

  it("gives every kernel its layers, sources and I/O sizes", () => {
    for (const k of data.kernels) {
      const size = DTYPE_BYTES[k.output.dtype as DType];
      expect(k.output.bytes).toBe(k.output.shape.reduce((p, d) => p * d, 1) * size);
      if (k.kind === "expr") expect(k.js).toMatch(/const o = b\[0\];/);
      expect(k.glsl).toMatch(/void main\(\)/);
    }
    const conv = data.kernels.find((k) => k.kind === "conv2d" && k.inputs[0]!.shape[1] === 1)!;
    expect(conv.layers).toEqual(["conv1"]);
    const node = data.graph.nodes[conv.nodes[0]!]!;
    expect([node.op, node.kernel, node.path]).toEqual(["conv2d", conv.id, "conv1"]);
  });

  it("takes each kernel's time from a profiling run", async () => {
    const ms = await profileKernels(
      report.planned,
      (profile) => cpuBackend({ profile, threads: 1 }),
      1,
    );
    const timed = toInspection(request, report, { backend: "cpu", ms });
    expect(timed.subject.backend).toBe("cpu");
    expect(timed.kernels.every((k) => typeof k.ms === "number" && k.ms >= 0)).toBe(true);
    expect(timed.kernels.reduce((s, k) => s + k.ms!, 0)).toBeGreaterThan(0);
  });
});
