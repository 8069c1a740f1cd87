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
  assertVjp,
  broadcastPartner,
  distinctTensor,
  randomTensor,
  rng,
  seedArb,
  shapeArb,
} from "@loom/testing";

// Gradient checks of the library primitives (matmul, convolution, pooling) and of their
// gradient ops, whose own VJPs give second-order gradients through convolution and average
// pooling. Images stay at most 7x7 so that the suite stays fast.

const RUNS = 10;

describe("gradient of matmul", () => {
  const arb = fc
    .record({
      batch: shapeArb(0, 2, 3),
      keep: fc.integer({ min: 0, max: 2 }),
      ones: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      swap: fc.boolean(),
      m: fc.integer({ min: 1, max: 4 }),
      k: fc.integer({ min: 1, max: 4 }),
      n: fc.integer({ min: 1, max: 4 }),
      vecA: fc.boolean(),
      vecB: fc.boolean(),
    })
    .map(({ batch, keep, ones, swap, m, k, n, vecA, vecB }) => {
      const other = broadcastPartner(batch, keep, ones);
      const [ba, bb] = swap ? [other, batch] : [batch, other];
      // A vector operand is a plain [k]: NumPy promotes it and drops the added dim.
      const a = vecA ? [k] : [...ba, m, k];
      const b = vecB ? [k] : [...bb, k, n];
      return [a, b] as const;
    });
  it("batched, broadcast and vector operands, w.r.t. both", async () => {
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ([sa, sb], seed) => {
        const next = rng(seed);
        const f = ([a, b]: Tensor[]) => matmul(a!, b!);
        const what = `matmul ${JSON.stringify(sa)} x ${JSON.stringify(sb)}`;
        await assertVjp(f, [randomTensor(sa, next), randomTensor(sb, next)], { seed, what });
      }),
      { numRuns: 15 },
    );
  });
});

const pad02 = fc.integer({ min: 0, max: 2 });

/** Random conv2d geometry: strides, asymmetric paddings, dilations and groups. */
const convArb = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 2 }),
    cin: fc.integer({ min: 1, max: 2 }),
    cout: fc.integer({ min: 1, max: 2 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    pad: fc.tuple(pad02, pad02, pad02, pad02),
    h: fc.integer({ min: 3, max: 7 }),
    w: fc.integer({ min: 3, max: 7 }),
  })
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
  it("conv2d w.r.t. x and w", async () => {
    await fc.assert(
      fc.asyncProperty(convArb, seedArb, async (g, seed) => {
        const next = rng(seed);
        const f = ([x, w]: Tensor[]) => conv2d(x!, w!, g.opts);
        const xs = [randomTensor(g.xShape, next), randomTensor(g.wShape, next)];
        await assertVjp(f, xs, { seed, what: describeConv(g) });
      }),
      { numRuns: 15 },
    );
  });

  it("conv2d_grad_input (the primitive) w.r.t. dy and w", async () => {
    await fc.assert(
      fc.asyncProperty(convArb, seedArb, async (g, seed) => {
        const next = rng(seed);
        const attrs = { ...g.attrs, inputShape: [g.h, g.w] };
        const f = ([dy, w]: Tensor[]) => prim("conv2d_grad_input", [dy!, w!], attrs);
        const xs = [randomTensor(g.yShape, next), randomTensor(g.wShape, next)];
        await assertVjp(f, xs, { seed, what: describeConv(g) });
      }),
      { numRuns: RUNS },
    );
  });

  it("conv2d_grad_filter (the primitive) w.r.t. x and dy", async () => {
    await fc.assert(
      fc.asyncProperty(convArb, seedArb, async (g, seed) => {
        const next = rng(seed);
        const attrs = { ...g.attrs, filterShape: [g.kh, g.kw] };
        const f = ([x, dy]: Tensor[]) => prim("conv2d_grad_filter", [x!, dy!], attrs);
        const xs = [randomTensor(g.xShape, next), randomTensor(g.yShape, next)];
        await assertVjp(f, xs, { seed, what: describeConv(g) });
      }),
      { numRuns: RUNS },
    );
  });

  it("second order: d/d(x, dy) of grad_w <dy, conv2d(x, w)>", async () => {
    await fc.assert(
      fc.asyncProperty(convArb, seedArb, async (g, seed) => {
        const next = rng(seed);
        // grad_w is conv2d_grad_filter(x, dy): bilinear in (x, dy), independent of w.
        const f = ([x, w, dy]: Tensor[]) =>
          sin(grad((v: Tensor) => sum(mul(conv2d(x!, v, g.opts), dy!)))(w!));
        const xs = [
          randomTensor(g.xShape, next),
          randomTensor(g.wShape, next),
          randomTensor(g.yShape, next),
        ];
        await assertVjp(f, xs, { seed, what: describeConv(g) });
      }),
      { numRuns: RUNS },
    );
  });

  it("second order: d/d(x, w) of grad_x of a nonlinear loss of conv2d(x, w)", async () => {
    await fc.assert(
      fc.asyncProperty(convArb, seedArb, async (g, seed) => {
        const next = rng(seed);
        // grad_x holds conv2d_grad_input(sin'(conv) * c, w): both x and w reach it.
        const f = ([x, w, c]: Tensor[]) =>
          grad((v: Tensor) => sum(mul(sin(conv2d(v, w!, g.opts)), c!)))(x!);
        const xs = [
          randomTensor(g.xShape, next),
          randomTensor(g.wShape, next),
          randomTensor(g.yShape, next),
        ];
        await assertVjp(f, xs, { seed, what: describeConv(g) });
      }),
      { numRuns: RUNS },
    );
  });
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
  it("maxPool2d (distinct values, so no window has a tie)", async () => {
    await fc.assert(
      fc.asyncProperty(poolArb, seedArb, async (p, seed) => {
        const f = ([x]: Tensor[]) => maxPool2d(x!, p.opts);
        const x = distinctTensor(p.xShape, rng(seed), -2, 2);
        await assertVjp(f, [x], { seed, what: `maxPool ${p.xShape} ${JSON.stringify(p.opts)}` });
      }),
      { numRuns: 15 },
    );
  });

  it("avgPool2d, countIncludePad true and false", async () => {
    await fc.assert(
      fc.asyncProperty(poolArb, seedArb, async (p, seed) => {
        const opts = { ...p.opts, countIncludePad: p.countIncludePad };
        const f = ([x]: Tensor[]) => sin(avgPool2d(x!, opts));
        const what = `avgPool ${p.xShape} ${JSON.stringify(opts)}`;
        await assertVjp(f, [randomTensor(p.xShape, rng(seed))], { seed, what });
      }),
      { numRuns: 15 },
    );
  });

  it("avg_pool2d_grad (the primitive) w.r.t. dy", async () => {
    await fc.assert(
      fc.asyncProperty(poolArb, seedArb, async (p, seed) => {
        const attrs = {
          kernel: p.kernel,
          stride: p.stride,
          pad: p.pad,
          countIncludePad: p.countIncludePad,
          inputShape: [p.h, p.w],
        };
        const f = ([dy]: Tensor[]) => sin(prim("avg_pool2d_grad", [dy!], attrs));
        await assertVjp(f, [randomTensor(p.yShape, rng(seed))], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("second order through avg pooling: d/dx of grad_x <c, avgPool2d(sin(x))>", async () => {
    await fc.assert(
      fc.asyncProperty(poolArb, seedArb, async (p, seed) => {
        const next = rng(seed);
        const opts = { ...p.opts, countIncludePad: p.countIncludePad };
        const f = ([x, c]: Tensor[]) =>
          grad((v: Tensor) => sum(mul(avgPool2d(sin(v), opts), c!)))(x!);
        const xs = [randomTensor(p.xShape, next), randomTensor(p.yShape, next)];
        await assertVjp(f, xs, { seed });
      }),
      { numRuns: RUNS },
    );
  });

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
