import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import type { DType } from "../dtype";
import type { Expr } from "../expr";
import { alu, iadd, imod, int, linearize } from "../expr";
import type { BufferInfo, Kernel, Plan } from "../plan";
import { checkNoOverlap } from "./check-no-overlap";
import { planMemory } from "./plan-memory";
import {
  arbPlan,
  flatIndex,
  ix,
  lifetimes,
  load,
  outsiders,
  overlaps,
  simulate,
  sizeOf,
} from "./test-oracles";

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
/**
 * src -> x = neg(src) -> y = exp(x[at]) -> w = y * 2 -> z = w + 1, with z the output: x is
 * buffer 0 (a temporary unless `xKind` says otherwise; then no kernel writes it), y 1, w 2,
 * z 3, the input src 4.
 */
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
  const xKind = opts.xKind ?? "temp";
  const flat = flatIndex(shape);
  return {
    buffers: [
      buffer(0, xShape, xKind, opts.xDtype),
      buffer(1, shape, "temp", opts.yDtype),
      buffer(2, shape, "temp", opts.yDtype),
      buffer(3, shape, "temp", opts.yDtype),
      buffer(4, xShape, "input", opts.xDtype),
    ],
    kernels: [
      ...(xKind === "temp"
        ? [exprKernel(0, [4], xShape, alu("neg", [load(0, flatIndex(xShape), opts.xDtype)]))]
        : []),
      exprKernel(1, [0], shape, alu("exp", [load(0, at, opts.xDtype)])),
      exprKernel(2, [1], shape, alu("mul", [load(0, flat, opts.yDtype), int(2)])),
      exprKernel(3, [2], shape, alu("add", [load(0, flat, opts.yDtype), int(1)])),
    ],
    inputs: xKind === "input" ? { x: 0, src: 4 } : { src: 4 },
    outputs: { z: 3, ...opts.extraOutputs },
  };
};

/** The distinct arena slots of a plan's buffers. */
const slotsOf = (p: Plan) =>
  new Set(p.buffers.flatMap((b) => (b.slot === undefined ? [] : [b.slot])));

/** x -> conv -> conv -> ... (n kernels) of f32[10,10] buffers; only the last is an output. */
const libraryChain = (n: number): Plan => ({
  buffers: Array.from({ length: n + 1 }, (_, i) => buffer(i, [10, 10], i === 0 ? "input" : "temp")),
  kernels: Array.from({ length: n }, (_, i): Kernel => ({
    kind: "library",
    call: { kind: "conv2d", stride: [1, 1], pad: [0, 0, 0, 0], dilation: [1, 1], groups: 1 },
    out: i + 1,
    inputs: [i],
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
          const outside = outsiders(p);
          const arena = p.buffers.filter((b) => !outside.has(b.id));
          expect(overlaps(p)).toEqual([]);
          expect(simulate(p)).toEqual([]);
          expect(E.isRight(checkNoOverlap(p))).toBe(true);
          for (const b of p.buffers) {
            if (outside.has(b.id)) {
              expect(b.slot).toBeUndefined();
              continue;
            }
            expect(b.slot! % alignment).toBe(0);
            expect(b.slot! + aligned(b)).toBeLessThanOrEqual(p.arenaBytes!);
          }
          expect(stats.peakBytes).toBe(p.arenaBytes);
          expect(stats.noReuseBytes).toBe(arena.reduce((s, b) => s + aligned(b), 0));
          expect(stats.inputBytes + stats.outputBytes).toBe(
            p.buffers.reduce((s, b) => s + (outside.has(b.id) ? sizeOf(b) : 0), 0),
          );
          expect(stats.peakBytes).toBeGreaterThanOrEqual(stats.lowerBoundBytes);
          expect(stats.peakBytes).toBeLessThanOrEqual(stats.noReuseBytes);
          if (!inPlace) {
            expect(stats.inPlace).toBe(0);
            const life = lifetimes(p);
            let most = 0;
            for (let t = -1; t <= p.kernels.length; t++) {
              const live = arena.filter((b) => life[b.id]!.born <= t && t <= life[b.id]!.dies);
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

  it("never reuses the bytes of a constant for a buffer born later", () => {
    fc.assert(
      fc.property(arbPlan, (plan) => {
        const { plan: p } = planMemory(plan);
        const life = lifetimes(p);
        p.buffers.forEach((c, a) => {
          if (c.kind !== "constant" || sizeOf(c) === 0) return;
          p.buffers.forEach((x, b) => {
            if (x.slot === undefined) return;
            const shares = x.slot < c.slot! + sizeOf(c) && c.slot! < x.slot + sizeOf(x);
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
    expect(plan.buffers.map((b) => b.slot)).toEqual([0, 0, 0, undefined, undefined]);
    expect(plan.arenaBytes).toBe(128);
    expect(stats.lowerBoundBytes).toBe(128);
    expect(stats.noReuseBytes).toBe(384);
    expect(stats.inputBytes).toBe(128);
    expect(stats.outputBytes).toBe(128);
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
    ["a constant", unaryChain({ xKind: "constant" })],
    ["a graph input", unaryChain({ xKind: "input" })],
    ["a temporary that is also a graph output", unaryChain({ extraOutputs: { x: 0 } })],
    ["a wider output element (f32 -> f64)", unaryChain({ yDtype: "float64" })],
    ["a reshape ([32] -> [4,8])", unaryChain({ xShape: [32], at: flatIndex([4, 8]) })],
  ])("does not write over %s, but still chains the next kernel", (_, plan) => {
    const { plan: p, stats } = planMemory(plan);
    expect(stats.inPlace).toBe(1);
    expect(p.buffers[1]!.slot).not.toBe(p.buffers[0]!.slot);
    expect(p.buffers[2]!.slot).toBe(p.buffers[1]!.slot);
    expect(overlaps(p)).toEqual([]);
    expect(simulate(p)).toEqual([]);
  });

  it("does not write over a buffer that is read again later", () => {
    const plan = unaryChain();
    const flat = flatIndex([4, 8]);
    const w: Kernel = exprKernel(2, [1, 0], [4, 8], alu("add", [load(0, flat), load(1, flat)]));
    const [kx, ky, , kz] = plan.kernels as [Kernel, Kernel, Kernel, Kernel];
    const { plan: p, stats } = planMemory({ ...plan, kernels: [kx, ky, w, kz] });
    // y cannot take x (x is read by w), but w may take y or x, both dying at w.
    expect(stats.inPlace).toBe(1);
    expect(p.buffers[1]!.slot).not.toBe(p.buffers[0]!.slot);
    expect(overlaps(p)).toEqual([]);
  });

  it("does not write over a buffer that is read elsewhere too", () => {
    const at = flatIndex([4, 8]);
    const plan = unaryChain();
    const y = exprKernel(1, [0], [4, 8], alu("add", [load(0, at), load(0, int(3))]));
    const [kx, , kw, kz] = plan.kernels as [Kernel, Kernel, Kernel, Kernel];
    expect(planMemory({ ...plan, kernels: [kx, y, kw, kz] }).stats.inPlace).toBe(1);
  });

  const libraryY = (extra: Partial<Extract<Kernel, { kind: "library" }>>): Plan => {
    const plan = unaryChain();
    const [kx, , kw, kz] = plan.kernels as [Kernel, Kernel, Kernel, Kernel];
    const lib: Kernel = {
      kind: "library",
      call: { kind: "max_pool2d_grad", kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0] },
      out: 1,
      inputs: [0],
      shape: [4, 8],
      nodes: [],
      ...extra,
    };
    return { ...plan, kernels: [kx, lib, kw, kz] };
  };

  it("writes a library kernel's output in place only over the input its op names", () => {
    const cases: [Plan, number][] = [
      [libraryY({}), 1],
      [libraryY({ overwrites: 0 }), 2],
      [libraryY({ overwrites: 0, epilogue: { expr: load(1, int(0)), inputs: [0] } }), 1],
      [libraryY({ overwrites: 0, inputs: [4, 0] }), 1],
      [libraryY({ overwrites: 1, inputs: [4, 0] }), 2],
    ];
    for (const [plan, inPlace] of cases) {
      const { plan: p, stats } = planMemory(plan);
      expect(stats.inPlace).toBe(inPlace);
      expect(p.buffers[1]!.slot === p.buffers[0]!.slot).toBe(inPlace === 2);
      expect(overlaps(p)).toEqual([]);
      expect(simulate(p)).toEqual([]);
      expect(E.isRight(checkNoOverlap(p))).toBe(true);
    }
  });

  it("is off with inPlace: false", () => {
    const { plan, stats } = planMemory(unaryChain(), { inPlace: false });
    expect(stats.inPlace).toBe(0);
    expect(slotsOf(plan).size).toBe(2); // x and w may still share
    expect(plan.arenaBytes).toBe(256);
  });
});

describe("placement", () => {
  it("ping-pongs a chain of library kernels between two slots (the lower bound)", () => {
    const { stats } = planMemory(libraryChain(8));
    // 100 f32 = 400 bytes, 448 aligned; two temporaries are live at every inner kernel.
    expect(stats).toEqual({
      peakBytes: 896,
      noReuseBytes: 7 * 448,
      lowerBoundBytes: 896,
      inPlace: 0,
      inputBytes: 400,
      outputBytes: 400,
    });
  });

  it("rejects an alignment that is not a positive integer", () => {
    expect(() => planMemory(unaryChain(), { alignment: 0 })).toThrow(/alignment/);
  });
});

describe("checkNoOverlap", () => {
  const allAtZero = (plan: Plan): Plan => ({
    ...plan,
    buffers: plan.buffers.map((b) => (b.slot === undefined ? b : { ...b, slot: 0 })),
  });

  it("reports two live buffers given the same bytes", () => {
    const { plan } = planMemory(libraryChain(4));
    expect(E.isRight(checkNoOverlap(plan))).toBe(true);
    const r = checkNoOverlap(allAtZero(plan));
    expect(E.isLeft(r) && r.left.code).toBe("invalid_graph");
  });

  it("reports an in-place write whose kernel reads other elements of the input", () => {
    const { plan } = planMemory(unaryChain({ at: int(0) }), { inPlace: false });
    const bad = allAtZero(plan);
    expect(E.isLeft(checkNoOverlap(bad))).toBe(true);
    expect(simulate(bad)).not.toEqual([]);
  });

  it("reports a slot past the arena, a plan that was never planned, and an input in the arena", () => {
    const { plan } = planMemory(unaryChain());
    expect(E.isLeft(checkNoOverlap({ ...plan, arenaBytes: 64 }))).toBe(true);
    expect(E.isLeft(checkNoOverlap(unaryChain()))).toBe(true);
    const fed = { ...plan, buffers: plan.buffers.map((b) => (b.id === 4 ? { ...b, slot: 0 } : b)) };
    const r = checkNoOverlap(fed);
    expect(E.isLeft(r) && r.left.message).toMatch(/graph input or output/);
  });
});
