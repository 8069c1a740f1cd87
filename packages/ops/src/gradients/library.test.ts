import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import type { Tensor } from "../index";
import {
  avgPool2d,
  compile,
  conv2d,
  convOutputSize,
  grad,
  matmul,
  maxPool2d,
  mul,
  prim,
  sin,
  sum,
} from "../index";
import { referenceBackend } from "@loom/backend-cpu";
import {
  broadcastPairArb,
  distinctTensor,
  intsArb,
  randomTensor,
  shapeArb,
  vjpProperty,
} from "@loom/testing";

// Gradient checks of the library primitives (matmul, convolution, pooling) and of their
// gradient ops, whose own VJPs give second-order gradients through convolution and average
// pooling. Images stay at most 7x7 so that the suite stays fast.

const RUNS = 10;

describe("gradient of matmul", () => {
  const arb = fc
    .record({
      pair: broadcastPairArb(shapeArb(0, 2, 3), 2),
      mkn: intsArb({ m: [1, 4], k: [1, 4], n: [1, 4] }),
      vecA: fc.boolean(),
      vecB: fc.boolean(),
    })
    .map(({ pair: [ba, bb], mkn: { m, k, n }, vecA, vecB }) => {
      // A vector operand is a plain [k]: NumPy promotes it and drops the added dim.
      const a = vecA ? [k] : [...ba, m, k];
      const b = vecB ? [k] : [...bb, k, n];
      return [a, b] as const;
    });
  it("batched, broadcast and vector operands, w.r.t. both", () =>
    vjpProperty(
      arb,
      ([sa, sb], next) => ({
        f: ([a, b]) => matmul(a!, b!),
        xs: [randomTensor(sa, next), randomTensor(sb, next)],
        what: `matmul ${JSON.stringify(sa)} x ${JSON.stringify(sb)}`,
      }),
      15,
    ));
});

const pad02 = fc.integer({ min: 0, max: 2 });

/** Random conv2d geometry: strides, asymmetric paddings, dilations and groups. */
const convArb = fc
  .record({
    dims: intsArb({
      ...{ n: [1, 2], groups: [1, 2], cin: [1, 2], cout: [1, 2] },
      ...{ kh: [1, 3], kw: [1, 3], h: [3, 7], w: [3, 7] },
    }),
    stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    pad: fc.tuple(pad02, pad02, pad02, pad02),
  })
  .map(({ dims, ...rest }) => ({ ...dims, ...rest }))
  .map((g) => {
    const ho = convOutputSize(g.h, g.kh, g.stride[0], g.pad[0], g.pad[1], g.dilation[0]);
    const wo = convOutputSize(g.w, g.kw, g.stride[1], g.pad[2], g.pad[3], g.dilation[1]);
    const c = g.cin * g.groups;
    const o = g.cout * g.groups;
    return {
      ...g,
      xShape: [g.n, c, g.h, g.w],
      wShape: [o, g.cin, g.kh, g.kw],
      yShape: [g.n, o, ho, wo],
      opts: { stride: g.stride, padding: g.pad, dilation: g.dilation, groups: g.groups },
      attrs: { stride: g.stride, pad: g.pad, dilation: g.dilation, groups: g.groups },
    };
  })
  .filter((g) => g.yShape[2]! >= 1 && g.yShape[3]! >= 1);

type ConvCase = typeof convArb extends fc.Arbitrary<infer T> ? T : never;
const describeConv = (g: ConvCase) => `x ${g.xShape} w ${g.wShape} ${JSON.stringify(g.opts)}`;

describe("gradients of conv2d and its gradient convolutions", () => {
  it("conv2d w.r.t. x and w", () =>
    vjpProperty(
      convArb,
      (g, next) => ({
        f: ([x, w]) => conv2d(x!, w!, g.opts),
        xs: [randomTensor(g.xShape, next), randomTensor(g.wShape, next)],
        what: describeConv(g),
      }),
      15,
    ));

  it("conv2d_grad_input (the primitive) w.r.t. dy and w", () =>
    vjpProperty(
      convArb,
      (g, next) => ({
        f: ([dy, w]) =>
          prim("conv2d_grad_input", [dy!, w!], { ...g.attrs, inputShape: [g.h, g.w] }),
        xs: [randomTensor(g.yShape, next), randomTensor(g.wShape, next)],
        what: describeConv(g),
      }),
      RUNS,
    ));

  it("conv2d_grad_filter (the primitive) w.r.t. x and dy", () =>
    vjpProperty(
      convArb,
      (g, next) => ({
        f: ([x, dy]) =>
          prim("conv2d_grad_filter", [x!, dy!], { ...g.attrs, filterShape: [g.kh, g.kw] }),
        xs: [randomTensor(g.xShape, next), randomTensor(g.yShape, next)],
        what: describeConv(g),
      }),
      RUNS,
    ));

  /** x, w and a cotangent of conv2d(x, w), for the second-order checks. */
  const xwy = (g: ConvCase, next: () => number) =>
    [g.xShape, g.wShape, g.yShape].map((s) => randomTensor(s, next));

  it("second order: d/d(x, dy) of grad_w <dy, conv2d(x, w)>", () =>
    vjpProperty(
      convArb,
      (g, next) => ({
        // grad_w is conv2d_grad_filter(x, dy): bilinear in (x, dy), independent of w.
        f: ([x, w, dy]) => sin(grad((v: Tensor) => sum(mul(conv2d(x!, v, g.opts), dy!)))(w!)),
        xs: xwy(g, next),
        what: describeConv(g),
      }),
      RUNS,
    ));

  it("second order: d/d(x, w) of grad_x of a nonlinear loss of conv2d(x, w)", () =>
    vjpProperty(
      convArb,
      (g, next) => ({
        // grad_x holds conv2d_grad_input(sin'(conv) * c, w): both x and w reach it.
        f: ([x, w, c]) => grad((v: Tensor) => sum(mul(sin(conv2d(v, w!, g.opts)), c!)))(x!),
        xs: xwy(g, next),
        what: describeConv(g),
      }),
      RUNS,
    ));
});

/** Random pooling geometry: kernels, strides and paddings smaller than the kernel. */
const poolArb = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 2 }),
    kernel: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    padU: fc.tuple(...[0, 1, 2, 3].map(() => fc.double({ min: 0, max: 0.999, noNaN: true }))),
    h: fc.integer({ min: 2, max: 7 }),
    w: fc.integer({ min: 2, max: 7 }),
    countIncludePad: fc.boolean(),
  })
  .map((p) => {
    const [kh, kw] = p.kernel;
    const k4 = [kh, kh, kw, kw];
    const pad = p.padU.map((u, i) => Math.floor(u * k4[i]!)) as [number, number, number, number];
    const ho = convOutputSize(p.h, kh, p.stride[0], pad[0], pad[1], 1);
    const wo = convOutputSize(p.w, kw, p.stride[1], pad[2], pad[3], 1);
    return {
      ...p,
      pad,
      xShape: [p.n, p.c, p.h, p.w],
      yShape: [p.n, p.c, ho, wo],
      opts: { kernel: p.kernel, stride: p.stride, padding: pad },
    };
  })
  .filter((p) => p.yShape[2]! >= 1 && p.yShape[3]! >= 1);

describe("gradients of pooling", () => {
  it("maxPool2d (distinct values, so no window has a tie)", () =>
    vjpProperty(
      poolArb,
      (p, next) => ({
        f: ([x]) => maxPool2d(x!, p.opts),
        xs: [distinctTensor(p.xShape, next, -2, 2)],
        what: `maxPool ${p.xShape} ${JSON.stringify(p.opts)}`,
      }),
      15,
    ));

  it("avgPool2d, countIncludePad true and false", () =>
    vjpProperty(
      poolArb,
      (p, next) => {
        const opts = { ...p.opts, countIncludePad: p.countIncludePad };
        return {
          f: ([x]) => sin(avgPool2d(x!, opts)),
          xs: [randomTensor(p.xShape, next)],
          what: `avgPool ${p.xShape} ${JSON.stringify(opts)}`,
        };
      },
      15,
    ));

  it("avg_pool2d_grad (the primitive) w.r.t. dy", () =>
    vjpProperty(
      poolArb,
      (p, next) => {
        const attrs = {
          kernel: p.kernel,
          stride: p.stride,
          pad: p.pad,
          countIncludePad: p.countIncludePad,
          inputShape: [p.h, p.w],
        };
        return {
          f: ([dy]) => sin(prim("avg_pool2d_grad", [dy!], attrs)),
          xs: [randomTensor(p.yShape, next)],
        };
      },
      RUNS,
    ));

  it("second order through avg pooling: d/dx of grad_x <c, avgPool2d(sin(x))>", () =>
    vjpProperty(
      poolArb,
      (p, next) => {
        const opts = { ...p.opts, countIncludePad: p.countIncludePad };
        return {
          f: ([x, c]) => grad((v: Tensor) => sum(mul(avgPool2d(sin(v), opts), c!)))(x!),
          xs: [randomTensor(p.xShape, next), randomTensor(p.yShape, next)],
        };
      },
      RUNS,
    ));

  it("second order through max pooling is refused with a LoomError (unsupported)", () => {
    const f = ({ x, c }: { x: Tensor; c: Tensor }) =>
      grad((v: Tensor) =>
        sum(mul(grad((u: Tensor) => sum(mul(maxPool2d(u, { kernel: 2 }), c)))(v), v)),
      )(x);
    const specs = {
      x: { shape: [1, 1, 4, 4], dtype: "float64" as const },
      c: { shape: [1, 1, 2, 2], dtype: "float64" as const },
    };
    let err: unknown;
    try {
      compile(referenceBackend(), f, specs);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoomError);
    expect((err as LoomError).code).toBe("unsupported");
    expect((err as LoomError).message).toMatch(/max_pool2d_grad/);
  });
});
