import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { numel } from "../index";
import type { Tensor, TensorSpec } from "@loom/ops";
import {
  add,
  argmax,
  avgPool2d,
  conv2d,
  flatten,
  hostTensor,
  logSoftmax,
  matmul,
  maxPool2d,
  mul,
  relu,
  reshape,
  sigmoid,
  slice,
  softmax,
  softmaxCrossEntropy,
  sum,
  swapAxes,
  tanh,
  valueAndGrad,
} from "@loom/ops";
import type { Feeds } from "@loom/testing";
import {
  ALL_BACKENDS,
  compareAll,
  describeBackends,
  fuzzRuns,
  gridValues,
  rng,
} from "@loom/testing";

// Library kernels (matmul, convolution, pooling) with the elementwise epilogues fusion merges
// into them and the operand views it folds (transposes, reshapes), and the composites built
// on them (softmax, cross-entropy, gradients), on every fused path against the unfused
// reference. Inputs lie on a grid of quarters, so the accumulations themselves are exact.

/** Property runs (raise LOOM_FUZZ_RUNS for a longer search). */
const RUNS = fuzzRuns(15);

/** Specs and grid-valued feeds for named input shapes. */
const inputsOf = (shapes: Record<string, number[]>, seed: number, lim = 4) => {
  const specs: Record<string, TensorSpec> = {};
  const feeds: Feeds = {};
  Object.entries(shapes).forEach(([name, shape], i) => {
    specs[name] = { shape };
    feeds[name] = hostTensor(gridValues(numel(shape), seed + i, lim), shape);
  });
  return { specs, feeds };
};

/**
 * How a matmul operand of logical shape `[...batch, rows, cols]` is made: read as is, a
 * transposed input, a transposed computed value, a slice, a reshape of a rank+1 input, a
 * matrix broadcast over the batch, or a reshape of a transposed view.
 */
const operand = (mode: number, name: string, batch: number[], rows: number, cols: number) => {
  const shapes: Record<string, number[]> = {};
  let make: (t: Tensor) => Tensor;
  switch (mode) {
    case 1:
      shapes[name] = [...batch, cols, rows];
      make = (t) => swapAxes(t, -1, -2);
      break;
    case 2:
      shapes[name] = [...batch, cols, rows];
      make = (t) => swapAxes(mul(t, 2), -1, -2);
      break;
    case 3:
      shapes[name] = [...batch, rows + 1, cols + 2];
      make = (t) => slice(t, [...batch.map(() => 0), 1, 2]);
      break;
    case 4:
      shapes[name] = [...batch, rows, 1, cols];
      make = (t) => reshape(t, [...batch, rows, cols]);
      break;
    case 5:
      shapes[name] = [rows, cols];
      make = (t) => t;
      break;
    case 6:
      shapes[name] = [...batch, cols, rows, 1];
      make = (t) => reshape(swapAxes(t, -2, -3), [...batch, rows, cols]);
      break;
    default:
      shapes[name] = [...batch, rows, cols];
      make = (t) => t;
  }
  return { shapes, make };
};

const mmArb = fc.record({
  batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
  m: fc.integer({ min: 1, max: 5 }),
  k: fc.integer({ min: 1, max: 5 }),
  n: fc.integer({ min: 1, max: 5 }),
  aMode: fc.nat(6),
  bMode: fc.nat(6),
  bias: fc.nat(2),
  act: fc.nat(5),
  second: fc.boolean(),
  share: fc.boolean(),
  chain: fc.boolean(),
  seed: fc.nat(),
});

/** Epilogues: none, activations, swish (two reads of the product), and `x + x^T` (a non-identity read). */
const ACTS = [
  (t: Tensor) => t,
  relu,
  tanh,
  sigmoid,
  (t: Tensor) => mul(t, sigmoid(t)),
  (t: Tensor) => (t.shape.at(-1) === t.shape.at(-2) ? add(t, swapAxes(t, -1, -2)) : t),
];

describe("fused library kernels agree with the unfused reference", () => {
  describeBackends(ALL_BACKENDS, (on) => {
    it("matmul with transposed, sliced, reshaped and broadcast operands and epilogues", async () => {
      await fc.assert(
        fc.asyncProperty(mmArb, async (p) => {
          const a = operand(p.aMode, "a", p.batch, p.m, p.k);
          const b = operand(p.bMode === 5 && p.aMode === 5 ? 0 : p.bMode, "b", p.batch, p.k, p.n);
          const out = [...p.batch, p.m, p.n];
          const shapes: Record<string, number[]> = { ...a.shapes, ...b.shapes };
          if (p.bias === 1) shapes["bias"] = [p.n];
          if (p.bias === 2) shapes["bias"] = out;
          if (p.chain) shapes["w2"] = [3, p.n];
          if (p.second) shapes["a2"] = [...p.batch, p.m, 2];
          if (p.second) shapes["b2"] = [...p.batch, 2, p.n];
          const { specs, feeds } = inputsOf(shapes, p.seed);
          const fn = (t: Record<string, Tensor>) => {
            const mm1 = matmul(a.make(t["a"]!), b.make(t["b"]!));
            const mm = p.second ? add(mm1, matmul(t["a2"]!, t["b2"]!)) : mm1;
            const pre = t["bias"] === undefined ? mm : add(mm, t["bias"]);
            const y = ACTS[p.act]!(pre);
            const outs: Record<string, Tensor> = { y };
            if (p.share) outs["mm"] = mm1;
            if (p.chain) outs["z"] = matmul(y, swapAxes(t["w2"]!, 0, 1));
            return outs;
          };
          expect(await compareAll(on, fn, specs, feeds)).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
    });

    it("conv2d with bias, relu and residual epilogues, pooling and a dense head", async () => {
      const convArb = fc.record({
        n: fc.integer({ min: 1, max: 2 }),
        c: fc.integer({ min: 1, max: 3 }),
        h: fc.integer({ min: 3, max: 6 }),
        w: fc.integer({ min: 3, max: 6 }),
        o: fc.integer({ min: 1, max: 4 }),
        kh: fc.integer({ min: 1, max: 3 }),
        kw: fc.integer({ min: 1, max: 3 }),
        stride: fc.integer({ min: 1, max: 2 }),
        pad: fc.nat(1),
        depthwise: fc.boolean(),
        residual: fc.boolean(),
        pool: fc.nat(2),
        exposeAct: fc.boolean(),
        seed: fc.nat(),
      });
      await fc.assert(
        fc.asyncProperty(convArb, async (p) => {
          const groups = p.depthwise ? p.c : 1;
          const o = p.depthwise ? p.c * p.o : p.o;
          const ho = Math.floor((p.h + 2 * p.pad - p.kh) / p.stride) + 1;
          const wo = Math.floor((p.w + 2 * p.pad - p.kw) / p.stride) + 1;
          const pooled = p.pool > 0 && ho >= 2 && wo >= 2;
          const feat = pooled ? o * Math.floor(ho / 2) * Math.floor(wo / 2) : o * ho * wo;
          const shapes: Record<string, number[]> = {
            x: [p.n, p.c, p.h, p.w],
            w: [o, p.c / groups, p.kh, p.kw],
            b: [o],
            r: [p.n, o, ho, wo],
            d: [feat, 3],
          };
          const { specs, feeds } = inputsOf(shapes, p.seed);
          const fn = (t: Record<string, Tensor>) => {
            const conv = conv2d(t["x"]!, t["w"]!, { stride: p.stride, padding: p.pad, groups });
            let act = relu(add(conv, reshape(t["b"]!, [1, o, 1, 1])));
            if (p.residual) act = add(act, t["r"]!);
            const pool = !pooled
              ? act
              : p.pool === 1
                ? maxPool2d(act, { kernel: 2 })
                : avgPool2d(act, { kernel: 2 });
            const logits = matmul(flatten(pool), t["d"]!);
            const logp = logSoftmax(logits);
            const outs: Record<string, Tensor> = { logp };
            if (p.exposeAct) outs["act"] = act;
            return outs;
          };
          expect(await compareAll(on, fn, specs, feeds)).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
    });
  });
});

describe("fused composites agree with the unfused reference", () => {
  describeBackends(ALL_BACKENDS, (on) => {
    it("softmax, log-softmax, cross-entropy and argmax over random axes", async () => {
      const arb = fc.record({
        shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
        axis: fc.nat(2),
        seed: fc.nat(),
      });
      await fc.assert(
        fc.asyncProperty(arb, async ({ shape, axis, seed }) => {
          const ax = axis % shape.length;
          const { specs, feeds } = inputsOf({ x: shape }, seed, 8);
          const two = shape.length === 2;
          if (two) {
            const r = rng(seed);
            const labels = Array.from({ length: shape[0]! }, () => Math.floor(r() * shape[1]!));
            specs["labels"] = { shape: [shape[0]!], dtype: "int32" };
            feeds["labels"] = hostTensor(labels, [shape[0]!], "int32");
          }
          const fn = ({ x, labels }: Record<string, Tensor>) => {
            const s = softmax(x!, ax);
            const outs: Record<string, Tensor> = {
              s,
              ls: logSoftmax(x!, ax),
              total: sum(s, [ax]),
              arg: argmax(x!, ax),
            };
            if (labels !== undefined) outs["ce"] = softmaxCrossEntropy(x!, labels);
            return outs;
          };
          expect(await compareAll(on, fn, specs, feeds)).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
    });

    it("the gradients of an MLP and a small convnet (transposed matmul operands)", async () => {
      const arb = fc.record({
        b: fc.integer({ min: 1, max: 4 }),
        i: fc.integer({ min: 1, max: 5 }),
        h: fc.integer({ min: 1, max: 5 }),
        c: fc.integer({ min: 2, max: 4 }),
        conv: fc.boolean(),
        seed: fc.nat(),
      });
      await fc.assert(
        fc.asyncProperty(arb, async (p) => {
          const side = 4;
          const xShape = p.conv ? [p.b, 1, side, side] : [p.b, p.i];
          const feat = p.conv ? p.h * (side / 2) * (side / 2) : p.h;
          const w1 = p.conv ? [p.h, 1, 3, 3] : [p.i, p.h];
          const { specs, feeds } = inputsOf(
            { x: xShape, w1, b1: [p.h], w2: [feat, p.c], b2: [p.c] },
            p.seed,
            1,
          );
          const r = rng(p.seed);
          specs["labels"] = { shape: [p.b], dtype: "int32" };
          feeds["labels"] = hostTensor(
            Array.from({ length: p.b }, () => Math.floor(r() * p.c)),
            [p.b],
            "int32",
          );
          const fn = ({ x, labels, ...params }: Record<string, Tensor>) => {
            const loss = (q: Record<string, Tensor>) => {
              const h = p.conv
                ? flatten(
                    maxPool2d(
                      relu(
                        add(
                          conv2d(x!, q["w1"]!, { padding: 1 }),
                          reshape(q["b1"]!, [1, p.h, 1, 1]),
                        ),
                      ),
                      { kernel: 2 },
                    ),
                  )
                : relu(add(matmul(x!, q["w1"]!), q["b1"]!));
              return softmaxCrossEntropy(add(matmul(h, q["w2"]!), q["b2"]!), labels!);
            };
            const { value, grad } = valueAndGrad(loss)(params);
            return { value, ...(grad as Record<string, Tensor>) };
          };
          // w1's and b1's gradients pass through dh = dlogits . w2[j, :], a sum that cancels to
          // exactly 0 when w2's row is constant (dlogits sums to 0 per sample): the output is
          // then the rounding residue of O(1) terms (1.5e-8 on the CPU, 0 on WebGL), so its
          // tolerance is relative to the terms' bound, not to its own largest value. With the
          // mean loss, |dlogits| sums to at most 2 over the batch, |w2|, |x| <= 1, and max
          // pooling routes it to 4 positions per channel: the terms are at most 2 (MLP) or 8.
          const bound = p.conv ? 8 : 2;
          const scales = { w1: bound, b1: bound };
          expect(await compareAll(on, fn, specs, feeds, scales)).toBeUndefined();
        }),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    });
  });
});
