import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import type { DType } from "../dtype";
import type { Expr } from "../expr";
import { alu, iadd, imod, int, linearize } from "../expr";
import type { BufferInfo, Kernel, Plan } from "../plan";
import { checkNoOverlap, planMemory } from "./plan-memory";
import { count, flatIndex, ix, lifetimes, load, overlaps, simulate, sizeOf } from "./test-oracles";

const SHAPES: number[][] = [[], [3], [4, 5], [2, 3, 4], [7, 9], [1, 1, 33], [0, 3], [16, 16]];
const DTYPES: DType[] = ["float32", "float64", "int32", "bool"];

/** A random plan: sources, then kernels that read earlier buffers, some in-place eligible. */
const arbPlan: fc.Arbitrary<Plan> = fc
  .record({
    sources: fc.array(fc.record({ shape: fc.nat(), dtype: fc.nat(), constant: fc.boolean() }), {
      minLength: 1,
      maxLength: 4,
    }),
    kernels: fc.array(
      fc.record({
        src: fc.nat(),
        extra: fc.array(fc.record({ buf: fc.nat(), flat: fc.boolean() }), { maxLength: 3 }),
        shape: fc.nat(),
        dtype: fc.nat(),
        kind: fc.constantFrom("aligned", "aligned", "other", "library"),
        epilogue: fc.boolean(),
      }),
      { minLength: 1, maxLength: 14 },
    ),
    outputs: fc.array(fc.nat(), { maxLength: 3 }),
  })
  .map(({ sources, kernels, outputs }) => {
    const buffers: BufferInfo[] = [];
    const inputs: Record<string, number> = {};
    for (const s of sources) {
      const id = buffers.length;
      const kind = s.constant ? "constant" : "input";
      const shape = SHAPES[s.shape % SHAPES.length]!;
      const dtype = DTYPES[s.dtype % DTYPES.length]!;
      buffers.push({ id, shape, dtype, kind, ...(s.constant ? { data: [1] } : {}) });
      if (!s.constant) inputs[`in${id}`] = id;
    }
    const ks: Kernel[] = kernels.map((k) => {
      const out = buffers.length;
      const src = k.src % out;
      const aligned = k.kind === "aligned";
      const shape = aligned ? buffers[src]!.shape : SHAPES[k.shape % SHAPES.length]!;
      const dtype = DTYPES[k.dtype % DTYPES.length]!;
      buffers.push({ id: out, shape, dtype, kind: "temp" });
      const picked = [
        { buf: src, flat: aligned },
        ...k.extra.map((e) => ({ buf: e.buf % out, flat: e.flat })),
      ].map((r) => ({ ...r, flat: r.flat && buffers[r.buf]!.shape.join() === shape.join() }));
      // Element 0 of an empty buffer does not exist: read those only at the (empty) output's index.
      const usable = picked.filter((r) => r.flat || count(buffers[r.buf]!.shape) > 0);
      const reads = usable.map((r) => r.buf);
      const flat = usable.map((r) => r.flat);
      const loads = reads.map((b, j) => {
        return load(j, flat[j] ? flatIndex(shape) : int(0), buffers[b]!.dtype);
      });
      if (k.kind === "library") {
        const epi = k.epilogue ? reads.slice(1) : undefined;
        return {
          kind: "library",
          name: "matmul",
          out,
          inputs: [src],
          attrs: {},
          shape,
          nodes: [],
          ...(epi ? { epilogue: { expr: load(0, int(0)), inputs: epi } } : {}),
        };
      }
      const expr = loads.reduce((acc, l) => alu("add", [acc, l]), int(0));
      return { kind: "expr", out, inputs: reads, shape, expr, nodes: [] };
    });
    const outs = Object.fromEntries(outputs.map((o, i) => [`out${i}`, o % buffers.length]));
    return { buffers, kernels: ks, inputs, outputs: outs };
  });

const buffer = (
  id: number,
  shape: number[],
  kind: BufferInfo["kind"] = "temp",
  dtype: DType = "float32",
): BufferInfo => ({
  id,
  shape,
  dtype,
  kind,
  ...(kind === "constant" ? { data: [0] } : {}),
});
const exprKernel = (out: number, inputs: number[], shape: number[], expr: Expr): Kernel => ({
  kind: "expr",
  out,
  inputs,
  shape,
  expr,
  nodes: [],
});
/** x -> y = f(x[at]) -> z = y * 2, with z the output (x is buffer 0, fed unless `xKind` says otherwise). */
const unaryChain = (
  opts: {
    at?: Expr;
    xKind?: BufferInfo["kind"];
    xDtype?: DType;
    yDtype?: DType;
    xShape?: number[];
    extraOutputs?: Record<string, number>;
  } = {},
): Plan => {
  const shape = [4, 8];
  const xShape = opts.xShape ?? shape;
  const at = opts.at ?? flatIndex(shape);
  const xKind = opts.xKind ?? "input";
  return {
    buffers: [
      buffer(0, xShape, xKind, opts.xDtype),
      buffer(1, shape, "temp", opts.yDtype),
      buffer(2, shape, "temp", opts.yDtype),
    ],
    kernels: [
      exprKernel(1, [0], shape, alu("exp", [load(0, at, opts.xDtype)])),
      exprKernel(
        2,
        [1],
        shape,
        alu("mul", [load(0, flatIndex(shape)), alu("add", [int(1), int(1)])]),
      ),
    ],
    inputs: xKind === "input" ? { x: 0 } : {},
    outputs: { z: 2, ...opts.extraOutputs },
  };
};

/** x -> conv -> conv -> ... (n kernels) of f32[10,10] buffers; only the last is an output. */
const libraryChain = (n: number): Plan => ({
  buffers: Array.from({ length: n + 1 }, (_, i) => buffer(i, [10, 10], i === 0 ? "input" : "temp")),
  kernels: Array.from({ length: n }, (_, i): Kernel => ({
    kind: "library",
    name: "conv2d",
    out: i + 1,
    inputs: [i],
    attrs: {},
    shape: [10, 10],
    nodes: [],
  })),
  inputs: { x: 0 },
  outputs: { y: n },
});

describe("planMemory on random plans", () => {
  it("never lets live buffers share bytes, aligns and fits every slot, and beats its bounds", () => {
    fc.assert(
      fc.property(
        arbPlan,
        fc.constantFrom(1, 4, 16, 64, 256),
        fc.boolean(),
        (plan, alignment, inPlace) => {
          const { plan: p, stats } = planMemory(plan, { alignment, inPlace });
          const aligned = (b: BufferInfo) => Math.ceil(sizeOf(b) / alignment) * alignment;
          expect(overlaps(p)).toEqual([]);
          expect(simulate(p)).toEqual([]);
          expect(E.isRight(checkNoOverlap(p))).toBe(true);
          for (const b of p.buffers) {
            expect(b.slot! % alignment).toBe(0);
            expect(b.slot! + aligned(b)).toBeLessThanOrEqual(p.arenaBytes!);
          }
          expect(stats.peakBytes).toBe(p.arenaBytes);
          expect(stats.noReuseBytes).toBe(p.buffers.reduce((s, b) => s + aligned(b), 0));
          expect(stats.peakBytes).toBeGreaterThanOrEqual(stats.lowerBoundBytes);
          expect(stats.peakBytes).toBeLessThanOrEqual(stats.noReuseBytes);
          if (!inPlace) {
            expect(stats.inPlace).toBe(0);
            const life = lifetimes(p);
            let most = 0;
            for (let t = -1; t <= p.kernels.length; t++) {
              const live = p.buffers.filter((_, id) => life[id]!.born <= t && t <= life[id]!.dies);
              most = Math.max(
                most,
                live.reduce((s, b) => s + aligned(b), 0),
              );
            }
            expect(stats.lowerBoundBytes).toBe(most);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never reuses the bytes of an output or a constant for a buffer born later", () => {
    fc.assert(
      fc.property(arbPlan, (plan) => {
        const { plan: p } = planMemory(plan);
        const life = lifetimes(p);
        const kept = new Set(Object.values(p.outputs));
        p.buffers.forEach((c, a) => {
          if (!(kept.has(a) || c.kind === "constant") || sizeOf(c) === 0) return;
          p.buffers.forEach((x, b) => {
            const shares = x.slot! < c.slot! + sizeOf(c) && c.slot! < x.slot! + sizeOf(x);
            if (b !== a && sizeOf(x) > 0 && shares)
              expect(life[b]!.born).toBeLessThan(life[a]!.born);
          });
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe("in-place updates", () => {
  it("chains elementwise kernels through one slot when every read is at the output's index", () => {
    const { plan, stats } = planMemory(unaryChain());
    expect(stats.inPlace).toBe(2);
    expect(plan.buffers.map((b) => b.slot)).toEqual([0, 0, 0]);
    expect(plan.arenaBytes).toBe(128);
    expect(stats.lowerBoundBytes).toBe(128);
    expect(stats.noReuseBytes).toBe(384);
  });

  it("allows a dtype change of the same element size (int32 -> float32)", () => {
    expect(planMemory(unaryChain({ xDtype: "int32" })).stats.inPlace).toBe(2);
  });

  it.each([
    [
      "a read of the next row",
      unaryChain({ at: linearize([imod(iadd(ix(0), int(1)), 4), ix(1)], [4, 8]) }),
    ],
    ["a read of element 0", unaryChain({ at: int(0) })],
    ["a constant input", unaryChain({ xKind: "constant" })],
    ["an input that is also a graph output", unaryChain({ extraOutputs: { x: 0 } })],
    ["a wider output element (f32 -> f64)", unaryChain({ yDtype: "float64" })],
    ["a reshape ([32] -> [4,8])", unaryChain({ xShape: [32], at: flatIndex([4, 8]) })],
  ])("does not write over %s, but still chains the next kernel", (_, plan) => {
    const { plan: p, stats } = planMemory(plan);
    expect(stats.inPlace).toBe(1);
    expect(p.buffers[1]!.slot).not.toBe(p.buffers[0]!.slot);
    expect(p.buffers[2]!.slot).toBe(p.buffers[1]!.slot);
    expect(overlaps(p)).toEqual([]);
  });

  it("does not write over an input that is read again later", () => {
    const plan = unaryChain();
    const z: Kernel = exprKernel(
      2,
      [1, 0],
      [4, 8],
      alu("add", [load(0, flatIndex([4, 8])), load(1, flatIndex([4, 8]))]),
    );
    const { plan: p, stats } = planMemory({ ...plan, kernels: [plan.kernels[0]!, z] });
    // y cannot take x (x is read by z), but z may take y or x, both dying at z.
    expect(stats.inPlace).toBe(1);
    expect(p.buffers[1]!.slot).not.toBe(p.buffers[0]!.slot);
    expect(overlaps(p)).toEqual([]);
  });

  it("does not write over an input that is read elsewhere too", () => {
    const at = flatIndex([4, 8]);
    const plan = unaryChain();
    const y = exprKernel(1, [0], [4, 8], alu("add", [load(0, at), load(0, int(3))]));
    expect(planMemory({ ...plan, kernels: [y, plan.kernels[1]!] }).stats.inPlace).toBe(1);
  });

  it("never writes a library kernel's output in place", () => {
    const plan = unaryChain();
    const lib: Kernel = {
      kind: "library",
      name: "relu",
      out: 1,
      inputs: [0],
      attrs: {},
      shape: [4, 8],
      nodes: [],
    };
    const { plan: p, stats } = planMemory({ ...plan, kernels: [lib, plan.kernels[1]!] });
    expect(stats.inPlace).toBe(1);
    expect(p.buffers[1]!.slot).not.toBe(p.buffers[0]!.slot);
  });

  it("is off with inPlace: false", () => {
    const { plan, stats } = planMemory(unaryChain(), { inPlace: false });
    expect(stats.inPlace).toBe(0);
    expect(new Set(plan.buffers.map((b) => b.slot)).size).toBe(2); // x and z may still share
    expect(plan.arenaBytes).toBe(256);
  });
});

describe("placement", () => {
  it("ping-pongs a chain of library kernels between two slots (the lower bound)", () => {
    const { stats } = planMemory(libraryChain(8));
    // 100 f32 = 400 bytes, 448 aligned; two are live at every kernel.
    expect(stats).toEqual({
      peakBytes: 896,
      noReuseBytes: 9 * 448,
      lowerBoundBytes: 896,
      inPlace: 0,
    });
  });

  it("rejects an alignment that is not a positive integer", () => {
    expect(() => planMemory(unaryChain(), { alignment: 0 })).toThrow(/alignment/);
  });
});

describe("checkNoOverlap", () => {
  it("reports two live buffers given the same bytes", () => {
    const { plan } = planMemory(libraryChain(3));
    expect(E.isRight(checkNoOverlap(plan))).toBe(true);
    const bad = { ...plan, buffers: plan.buffers.map((b) => ({ ...b, slot: 0 })) };
    const r = checkNoOverlap(bad);
    expect(E.isLeft(r) && r.left.code).toBe("invalid_graph");
  });

  it("reports an in-place write whose kernel reads other elements of the input", () => {
    const { plan } = planMemory(unaryChain({ at: int(0) }), { inPlace: false });
    const bad = { ...plan, buffers: plan.buffers.map((b) => ({ ...b, slot: 0 })) };
    expect(E.isLeft(checkNoOverlap(bad))).toBe(true);
    expect(simulate(bad)).not.toEqual([]);
  });

  it("reports a slot past the arena and a plan that was never planned", () => {
    const { plan } = planMemory(unaryChain());
    expect(E.isLeft(checkNoOverlap({ ...plan, arenaBytes: 64 }))).toBe(true);
    expect(E.isLeft(checkNoOverlap(unaryChain()))).toBe(true);
  });
});
