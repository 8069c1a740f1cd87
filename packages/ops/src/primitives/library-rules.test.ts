import * as E from "fp-ts/lib/Either.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Dim, DType, LoomError, Node, OpDef, TensorType } from "@loom/graph";

/** Any op definition; `never` attrs accept every concrete rule. */
type AnyDef = OpDef<never>;
import { LoomError as LoomErrorClass } from "@loom/graph";
import { buildNode, input, prim } from "../core";
import { primitives } from "../table";
import { avgPool2d } from "./avg-pool2d";
import { avgPool2dGrad } from "./avg-pool2d-grad";
import { conv2d } from "./conv2d";
import { conv2dGradFilter } from "./conv2d-grad-filter";
import { conv2dGradInput } from "./conv2d-grad-input";
import { matmul } from "./matmul";
import { maxPool2d } from "./max-pool2d";
import { maxPool2dGrad } from "./max-pool2d-grad";

const f32 = (...shape: Dim[]): TensorType => ({ shape, dtype: "float32" });

/** Runs a rule; any thrown error (a TypeError above all) fails the test through the rethrow. */
const infer = (def: AnyDef, inputs: readonly TensorType[], attrs: unknown) =>
  def.infer(inputs, attrs as never);

const leftCode = (r: E.Either<LoomError, TensorType>): string | undefined =>
  E.isLeft(r) ? r.left.code : undefined;

const rightShape = (r: E.Either<LoomError, TensorType>): readonly Dim[] => {
  if (E.isLeft(r)) throw r.left;
  return r.right.shape;
};

/**
 * The number of window positions, counted by sliding the window: an independent check of the
 * closed form `floor((H + pads - d*(K-1) - 1)/s) + 1`.
 */
const countWindows = (size: number, k: number, s: number, lo: number, hi: number, d: number) => {
  let n = 0;
  for (let start = -lo; start + d * (k - 1) <= size + hi - 1; start += s) n++;
  return n;
};

const LIBRARY_OPS: readonly AnyDef[] = [
  matmul,
  conv2d,
  conv2dGradInput,
  conv2dGradFilter,
  maxPool2d,
  maxPool2dGrad,
  avgPool2d,
  avgPool2dGrad,
];

describe("library primitive shape rules", () => {
  it("are all library ops in the table", () => {
    for (const def of LIBRARY_OPS) {
      expect(def.fusion).toBe("library");
      expect(primitives[def.name as keyof typeof primitives]).toBe(def);
    }
  });

  it("conv2d output size matches a sliding-window count on random attributes", () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.oneof(fc.constant<Dim>("N"), fc.integer({ min: 1, max: 4 })),
          groups: fc.integer({ min: 1, max: 3 }),
          cPerGroup: fc.integer({ min: 1, max: 3 }),
          oPerGroup: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 1, max: 20 }),
          w: fc.integer({ min: 1, max: 20 }),
          k: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
          stride: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
          dilation: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
          pad: fc.tuple(...Array.from({ length: 4 }, () => fc.integer({ min: 0, max: 4 }))),
        }),
        ({ batch, groups, cPerGroup, oPerGroup, h, w, k, stride, dilation, pad }) => {
          const c = groups * cPerGroup;
          const o = groups * oPerGroup;
          const attrs = { stride, pad, dilation, groups };
          const r = infer(conv2d, [f32(batch, c, h, w), f32(o, cPerGroup, ...k)], attrs);
          const ho = countWindows(h, k[0], stride[0], pad[0], pad[1], dilation[0]);
          const wo = countWindows(w, k[1], stride[1], pad[2], pad[3], dilation[1]);
          if (ho < 1 || wo < 1) {
            expect(leftCode(r)).toBe("shape_mismatch");
            return;
          }
          expect(rightShape(r)).toEqual([batch, o, ho, wo]);
          // The gradient convolutions map back to the operands' shapes.
          const gi = infer(conv2dGradInput, [f32(batch, o, ho, wo), f32(o, cPerGroup, ...k)], {
            ...attrs,
            inputShape: [h, w],
          });
          expect(rightShape(gi)).toEqual([batch, c, h, w]);
          const gf = infer(conv2dGradFilter, [f32(batch, c, h, w), f32(batch, o, ho, wo)], {
            ...attrs,
            filterShape: k,
          });
          expect(rightShape(gf)).toEqual([o, cPerGroup, ...k]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("pooling output sizes match a sliding-window count on random attributes", () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.oneof(fc.constant<Dim>("N"), fc.integer({ min: 1, max: 3 })),
          c: fc.integer({ min: 1, max: 4 }),
          h: fc.integer({ min: 1, max: 16 }),
          w: fc.integer({ min: 1, max: 16 }),
          kernel: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
          stride: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
          padFrac: fc.tuple(
            ...Array.from({ length: 4 }, () => fc.double({ min: 0, max: 0.999, noNaN: true })),
          ),
          countIncludePad: fc.boolean(),
        }),
        ({ n, c, h, w, kernel, stride, padFrac, countIncludePad }) => {
          // Paddings drawn below the kernel size, the rule's requirement.
          const pad = padFrac.map((f, i) => Math.floor(f * kernel[i < 2 ? 0 : 1])) as number[];
          const ho = countWindows(h, kernel[0], stride[0], pad[0]!, pad[1]!, 1);
          const wo = countWindows(w, kernel[1], stride[1], pad[2]!, pad[3]!, 1);
          const x = f32(n, c, h, w);
          const maxAttrs = { kernel, stride, pad };
          const avgAttrs = { ...maxAttrs, countIncludePad };
          const rMax = infer(maxPool2d, [x], maxAttrs);
          const rAvg = infer(avgPool2d, [x], avgAttrs);
          if (ho < 1 || wo < 1) {
            expect(leftCode(rMax)).toBe("shape_mismatch");
            expect(leftCode(rAvg)).toBe("shape_mismatch");
            return;
          }
          expect(rightShape(rMax)).toEqual([n, c, ho, wo]);
          expect(rightShape(rAvg)).toEqual([n, c, ho, wo]);
          const dy = f32(n, c, ho, wo);
          expect(rightShape(infer(maxPool2dGrad, [x, dy], maxAttrs))).toEqual([n, c, h, w]);
          const gAvg = infer(avgPool2dGrad, [dy], { ...avgAttrs, inputShape: [h, w] });
          expect(rightShape(gAvg)).toEqual([n, c, h, w]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("matmul keeps batch dims and symbolic m", () => {
    expect(rightShape(infer(matmul, [f32("N", 784), f32(784, 10)], {}))).toEqual(["N", 10]);
    expect(rightShape(infer(matmul, [f32(2, 3, 4, 5), f32(2, 3, 5, 6)], {}))).toEqual([2, 3, 4, 6]);
  });
});

const conv = { stride: [1, 1], pad: [0, 0, 0, 0], dilation: [1, 1], groups: 1 };
const pool = { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0] };

/** [description, op, inputs, attrs, expected code] */
const INVALID: readonly [string, AnyDef, TensorType[], unknown, string][] = [
  ["matmul inner dims", matmul, [f32(32, 784), f32(512, 10)], {}, "shape_mismatch"],
  ["matmul batch dims", matmul, [f32(2, 3, 4), f32(3, 4, 5)], {}, "shape_mismatch"],
  ["matmul rank 1", matmul, [f32(3), f32(3, 4)], {}, "rank_mismatch"],
  ["matmul unequal ranks", matmul, [f32(2, 3, 4), f32(4, 5)], {}, "rank_mismatch"],
  [
    "matmul int32",
    matmul,
    [
      { shape: [2, 2], dtype: "int32" },
      { shape: [2, 2], dtype: "int32" },
    ],
    {},
    "dtype_mismatch",
  ],
  [
    "matmul mixed dtypes",
    matmul,
    [f32(2, 2), { shape: [2, 2], dtype: "float64" }],
    {},
    "dtype_mismatch",
  ],
  ["matmul one input", matmul, [f32(2, 2)], {}, "invalid_argument"],
  ["conv2d rank 3 input", conv2d, [f32(1, 5, 5), f32(1, 1, 3, 3)], conv, "rank_mismatch"],
  ["conv2d rank 2 filter", conv2d, [f32(1, 1, 5, 5), f32(3, 3)], conv, "rank_mismatch"],
  ["conv2d channel mismatch", conv2d, [f32(1, 3, 5, 5), f32(4, 2, 3, 3)], conv, "shape_mismatch"],
  [
    "conv2d groups not dividing C",
    conv2d,
    [f32(1, 3, 5, 5), f32(4, 1, 3, 3)],
    { ...conv, groups: 2 },
    "shape_mismatch",
  ],
  [
    "conv2d groups not dividing O",
    conv2d,
    [f32(1, 4, 5, 5), f32(3, 2, 3, 3)],
    { ...conv, groups: 2 },
    "shape_mismatch",
  ],
  [
    "conv2d kernel bigger than input",
    conv2d,
    [f32(1, 1, 4, 4), f32(1, 1, 5, 5)],
    conv,
    "shape_mismatch",
  ],
  [
    "conv2d dilated kernel too big",
    conv2d,
    [f32(1, 1, 4, 4), f32(1, 1, 3, 3)],
    { ...conv, dilation: [2, 2] },
    "shape_mismatch",
  ],
  [
    "conv2d zero stride",
    conv2d,
    [f32(1, 1, 5, 5), f32(1, 1, 3, 3)],
    { ...conv, stride: [0, 1] },
    "invalid_attr",
  ],
  [
    "conv2d negative pad",
    conv2d,
    [f32(1, 1, 5, 5), f32(1, 1, 3, 3)],
    { ...conv, pad: [0, -1, 0, 0] },
    "invalid_attr",
  ],
  [
    "conv2d pad of length 2",
    conv2d,
    [f32(1, 1, 5, 5), f32(1, 1, 3, 3)],
    { ...conv, pad: [1, 1] },
    "invalid_attr",
  ],
  [
    "conv2d string stride",
    conv2d,
    [f32(1, 1, 5, 5), f32(1, 1, 3, 3)],
    { ...conv, stride: "2" },
    "invalid_attr",
  ],
  [
    "conv2d fractional groups",
    conv2d,
    [f32(1, 2, 5, 5), f32(1, 1, 3, 3)],
    { ...conv, groups: 1.5 },
    "invalid_attr",
  ],
  [
    "conv2d missing dilation",
    conv2d,
    [f32(1, 1, 5, 5), f32(1, 1, 3, 3)],
    { ...conv, dilation: undefined },
    "invalid_attr",
  ],
  ["conv2d null attrs", conv2d, [f32(1, 1, 5, 5), f32(1, 1, 3, 3)], null, "invalid_attr"],
  ["conv2d symbolic channels", conv2d, [f32(1, "C", 5, 5), f32(1, 1, 3, 3)], conv, "unsupported"],
  [
    "conv2d int input",
    conv2d,
    [{ shape: [1, 1, 5, 5], dtype: "int32" }, f32(1, 1, 3, 3)],
    conv,
    "dtype_mismatch",
  ],
  [
    "conv2d_grad_input wrong dy size",
    conv2dGradInput,
    [f32(1, 1, 4, 4), f32(1, 1, 3, 3)],
    { ...conv, inputShape: [5, 5] },
    "shape_mismatch",
  ],
  [
    "conv2d_grad_input missing inputShape",
    conv2dGradInput,
    [f32(1, 1, 3, 3), f32(1, 1, 3, 3)],
    conv,
    "invalid_attr",
  ],
  [
    "conv2d_grad_input dy channels",
    conv2dGradInput,
    [f32(1, 2, 3, 3), f32(1, 1, 3, 3)],
    { ...conv, inputShape: [5, 5] },
    "shape_mismatch",
  ],
  [
    "conv2d_grad_filter batch mismatch",
    conv2dGradFilter,
    [f32(2, 1, 5, 5), f32(3, 1, 3, 3)],
    { ...conv, filterShape: [3, 3] },
    "shape_mismatch",
  ],
  [
    "conv2d_grad_filter wrong dy size",
    conv2dGradFilter,
    [f32(1, 1, 5, 5), f32(1, 1, 2, 3)],
    { ...conv, filterShape: [3, 3] },
    "shape_mismatch",
  ],
  [
    "conv2d_grad_filter zero filterShape",
    conv2dGradFilter,
    [f32(1, 1, 5, 5), f32(1, 1, 3, 3)],
    { ...conv, filterShape: [0, 3] },
    "invalid_attr",
  ],
  ["max_pool2d rank 3", maxPool2d, [f32(1, 4, 4)], pool, "rank_mismatch"],
  [
    "max_pool2d kernel too big",
    maxPool2d,
    [f32(1, 1, 2, 2)],
    { ...pool, kernel: [3, 3] },
    "shape_mismatch",
  ],
  [
    "max_pool2d pad not below kernel",
    maxPool2d,
    [f32(1, 1, 4, 4)],
    { ...pool, pad: [2, 0, 0, 0] },
    "invalid_attr",
  ],
  [
    "max_pool2d zero stride",
    maxPool2d,
    [f32(1, 1, 4, 4)],
    { ...pool, stride: [2, 0] },
    "invalid_attr",
  ],
  ["max_pool2d symbolic H", maxPool2d, [f32(1, 1, "H", 4)], pool, "unsupported"],
  [
    "max_pool2d_grad dy size",
    maxPool2dGrad,
    [f32(1, 1, 4, 4), f32(1, 1, 3, 2)],
    pool,
    "shape_mismatch",
  ],
  [
    "max_pool2d_grad dy channels",
    maxPool2dGrad,
    [f32(1, 1, 4, 4), f32(1, 2, 2, 2)],
    pool,
    "shape_mismatch",
  ],
  ["avg_pool2d missing countIncludePad", avgPool2d, [f32(1, 1, 4, 4)], pool, "invalid_attr"],
  [
    "avg_pool2d float64 kernel",
    avgPool2d,
    [f32(1, 1, 4, 4)],
    { ...pool, kernel: [2.5, 2], countIncludePad: true },
    "invalid_attr",
  ],
  [
    "avg_pool2d_grad wrong inputShape",
    avgPool2dGrad,
    [f32(1, 1, 2, 2)],
    { ...pool, countIncludePad: false, inputShape: [8, 8] },
    "shape_mismatch",
  ],
  [
    "avg_pool2d_grad bool dy",
    avgPool2dGrad,
    [{ shape: [1, 1, 2, 2], dtype: "bool" }],
    { ...pool, countIncludePad: false, inputShape: [4, 4] },
    "dtype_mismatch",
  ],
];

describe("library primitive errors", () => {
  it.each(INVALID)("%s", (_name, def, inputs, attrs, code) => {
    const r = infer(def, inputs, attrs);
    expect(E.isLeft(r)).toBe(true);
    if (E.isLeft(r)) {
      expect(r.left).toBeInstanceOf(LoomErrorClass);
      expect(r.left.code).toBe(code);
      expect(r.left.op).toBe(def.name);
      expect(r.left.message.startsWith(`${def.name}: `)).toBe(true);
    }
  });

  it("names the shapes of a matmul mismatch and says what to change", () => {
    const r = infer(matmul, [f32(32, 784), f32(512, 10)], {});
    expect(E.isLeft(r) && r.left.message).toMatch(
      /^matmul: inner dims differ: \[32,784\] x \[512,10\]/,
    );
    expect(E.isLeft(r) && r.left.message).toMatch(/transpose one operand/);
  });

  it("never throw on random garbage attributes and inputs", () => {
    const dim = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constantFrom("N", "C", ""));
    const type = fc.record({
      shape: fc.array(dim, { maxLength: 5 }),
      dtype: fc.constantFrom<DType>("float32", "float64", "int32", "bool"),
    });
    const value = fc.oneof(
      fc.anything(),
      fc.array(fc.oneof(fc.integer({ min: -3, max: 6 }), fc.double(), fc.string()), {
        maxLength: 5,
      }),
      fc.integer({ min: -3, max: 6 }),
      fc.boolean(),
    );
    const keys = [
      "stride",
      "pad",
      "dilation",
      "groups",
      "kernel",
      "countIncludePad",
      "inputShape",
      "filterShape",
    ];
    const attrs = fc.oneof(
      fc.dictionary(fc.constantFrom(...keys), value),
      fc.anything(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...LIBRARY_OPS),
        fc.array(type, { maxLength: 3 }),
        attrs,
        (def, inputs, a) => {
          const r = infer(def, inputs, a);
          if (E.isLeft(r)) expect(r.left).toBeInstanceOf(LoomErrorClass);
          else
            expect(
              r.right.shape.every((d) => typeof d === "string" || (Number.isInteger(d) && d >= 0)),
            ).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

/** Builds a node of type `t` (a placeholder) so VJP rules can be applied without running anything. */
const node = (name: string, t: TensorType): Node => input(name, t.shape, t.dtype);

const shapeOf = (n: Node | undefined) => n?.shape;

describe("library VJP rules give cotangents of the operands' types", () => {
  it("matmul", () => {
    const a = node("a", f32("N", 3, 4, 5));
    const b = node("b", f32("N", 3, 5, 6));
    const out = prim("matmul", [a, b]);
    const ct = node("ct", f32("N", 3, 4, 6));
    const [da, db] = matmul.vjp({ prim: buildNode, inputs: [a, b], out, attrs: {}, ct });
    expect(shapeOf(da)).toEqual(a.shape);
    expect(shapeOf(db)).toEqual(b.shape);
  });

  it("conv2d and its gradient convolutions", () => {
    const attrs = { stride: [2, 3], pad: [1, 0, 2, 1], dilation: [2, 1], groups: 2 } as const;
    const x = node("x", f32("N", 4, 11, 9));
    const w = node("w", f32(6, 2, 3, 2));
    const y = prim("conv2d", [x, w], attrs);
    expect(y.shape).toEqual(["N", 6, 4, 4]); // floor((11+1-5)/2)+1, floor((9+3-2)/3)+1
    const ct = node("ct", f32(...y.shape));
    const [dx, dw] = conv2d.vjp({
      prim: buildNode,
      inputs: [x, w],
      out: y,
      attrs: attrs as never,
      ct,
    });
    expect(shapeOf(dx)).toEqual(x.shape);
    expect(shapeOf(dw)).toEqual(w.shape);
    // conv2d_grad_input: inputs (dy, w), output shaped like x.
    const gi = dx!;
    const cti = node("cti", f32(...gi.shape));
    const [ddy, dwi] = conv2dGradInput.vjp({
      prim: buildNode,
      inputs: [ct, w],
      out: gi,
      attrs: gi.attrs as never,
      ct: cti,
    });
    expect(shapeOf(ddy)).toEqual(ct.shape);
    expect(shapeOf(dwi)).toEqual(w.shape);
    // conv2d_grad_filter: inputs (x, dy), output shaped like w.
    const gf = dw!;
    const ctf = node("ctf", f32(...gf.shape));
    const [dxf, ddyf] = conv2dGradFilter.vjp({
      prim: buildNode,
      inputs: [x, ct],
      out: gf,
      attrs: gf.attrs as never,
      ct: ctf,
    });
    expect(shapeOf(dxf)).toEqual(x.shape);
    expect(shapeOf(ddyf)).toEqual(ct.shape);
  });

  it("pooling", () => {
    const x = node("x", f32("N", 3, 7, 6));
    const maxAttrs = { kernel: [3, 3], stride: [2, 2], pad: [1, 1, 0, 2] };
    const m = prim("max_pool2d", [x], maxAttrs);
    expect(m.shape).toEqual(["N", 3, 4, 3]);
    const ct = node("ct", f32(...m.shape));
    const [dx] = maxPool2d.vjp({
      prim: buildNode,
      inputs: [x],
      out: m,
      attrs: maxAttrs as never,
      ct,
    });
    expect(dx?.op).toBe("max_pool2d_grad");
    expect(shapeOf(dx)).toEqual(x.shape);
    const call = () =>
      maxPool2dGrad.vjp({
        prim: buildNode,
        inputs: [x, ct],
        out: dx!,
        attrs: maxAttrs as never,
        ct: x,
      });
    expect(call).toThrow(LoomErrorClass);
    expect(() => call()).toThrow(/max_pool2d_grad/);

    const avgAttrs = { ...maxAttrs, countIncludePad: false };
    const a = prim("avg_pool2d", [x], avgAttrs);
    const [dxa] = avgPool2d.vjp({
      prim: buildNode,
      inputs: [x],
      out: a,
      attrs: avgAttrs as never,
      ct,
    });
    expect(dxa?.op).toBe("avg_pool2d_grad");
    expect(shapeOf(dxa)).toEqual(x.shape);
    const [dct] = avgPool2dGrad.vjp({
      prim: buildNode,
      inputs: [ct],
      out: dxa!,
      attrs: dxa!.attrs as never,
      ct: x,
    });
    expect(dct?.op).toBe("avg_pool2d");
    expect(dct?.attrs).toEqual(avgAttrs);
    expect(shapeOf(dct)).toEqual(ct.shape);
  });
});
