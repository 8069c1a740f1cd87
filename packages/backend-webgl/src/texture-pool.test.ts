import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BufferInfo, Kernel, Plan } from "@loom/graph";
import { int } from "@loom/graph";
import { assignTextures, kernelReads } from "./texture-pool";

/** A plan of `n` kernels, each reading earlier buffers (`reads`), over two graph inputs and a constant. */
const planOf = (
  kernels: readonly { reads: readonly number[]; size: number }[],
  outputs: readonly number[],
): Plan => {
  const buffers: BufferInfo[] = [
    { id: 0, shape: [4], dtype: "float32", kind: "input" },
    { id: 1, shape: [4], dtype: "float32", kind: "input" },
    { id: 2, shape: [4], dtype: "float32", kind: "constant", data: [1] },
  ];
  const ks: Kernel[] = kernels.map((k, i) => {
    const out = buffers.length;
    buffers.push({ id: out, shape: [k.size], dtype: "float32", kind: "temp" });
    const inputs = [...new Set(k.reads.map((r) => r % out))];
    return { kind: "expr", out, inputs, shape: [k.size], expr: int(0), nodes: [i] };
  });
  const last = buffers.length - 1;
  return {
    buffers,
    kernels: ks,
    inputs: { a: 0, b: 1 },
    outputs: Object.fromEntries(
      [last, ...outputs.map((o) => 3 + (o % kernels.length))].map((b) => [`o${b}`, b]),
    ),
  };
};

const planArb = fc
  .record({
    kernels: fc.array(
      fc.record({
        reads: fc.array(fc.nat(50), { minLength: 1, maxLength: 3 }),
        size: fc.constantFrom(4, 8),
      }),
      { minLength: 1, maxLength: 25 },
    ),
    outputs: fc.array(fc.nat(50), { maxLength: 3 }),
  })
  .map(({ kernels, outputs }) => planOf(kernels, outputs));

const keyOf = (b: BufferInfo) => `${b.dtype}:${b.shape.join()}`;

describe("assignTextures", () => {
  it("never gives one texture to two buffers live at once, nor lets a kernel read its output texture", () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const { textureOf, textures } = assignTextures(plan, keyOf);
        // Live range of a buffer: from its writer (or the start) to its last reader (or the end for outputs).
        const outputs = new Set(Object.values(plan.outputs));
        const first = plan.buffers.map(() => -1);
        const last = plan.buffers.map((b) => (b.kind === "temp" ? -1 : plan.kernels.length));
        plan.kernels.forEach((k, i) => {
          first[k.out] = i;
          last[k.out] = Math.max(last[k.out]!, i);
          for (const r of kernelReads(k)) last[r] = Math.max(last[r]!, i);
        });
        for (const o of outputs) last[o] = plan.kernels.length;
        for (const a of plan.buffers)
          for (const b of plan.buffers) {
            if (a.id >= b.id || textureOf[a.id] !== textureOf[b.id]) continue;
            expect(keyOf(a)).toBe(keyOf(b));
            const disjoint = last[a.id]! < first[b.id]! || last[b.id]! < first[a.id]!;
            const overlapAtHandover = last[a.id] === first[b.id] || last[b.id] === first[a.id];
            expect(disjoint && !overlapAtHandover, `buffers ${a.id} and ${b.id}`).toBe(true);
          }
        for (const k of plan.kernels)
          for (const r of kernelReads(k)) expect(textureOf[r]).not.toBe(textureOf[k.out]);
        for (const b of plan.buffers)
          if (b.kind !== "temp" || outputs.has(b.id))
            expect(textures[textureOf[b.id]!]!.buffers).toEqual([b.id]);
      }),
      { numRuns: 300 },
    );
  });

  it("reuses the textures of dead temporaries along a chain", () => {
    const chain = planOf(
      Array.from({ length: 10 }, (_, i) => ({ reads: [i + 2], size: 4 })),
      [],
    );
    const { textures } = assignTextures(chain, keyOf);
    // 2 inputs, 1 constant, the output, and two temporaries taking turns.
    expect(textures).toHaveLength(6);
    expect(assignTextures(chain, keyOf, false).textures).toHaveLength(13);
  });
});
