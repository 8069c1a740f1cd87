import fc from "fast-check";
import { describe, it } from "vitest";
import type { Tensor } from "../index";
import {
  binaryCrossEntropyWithLogits,
  constant,
  globalAvgPool,
  hostTensor,
  key,
  leakyRelu,
  linear,
  log,
  logSoftmax,
  logSumExp,
  mse,
  mul,
  neg,
  nn,
  oneHot,
  relu,
  sigmoid,
  sin,
  softmax,
  softmaxCrossEntropy,
  sum,
  variance,
} from "../index";
import { intsArb, randomTensor, shapeArb, vjpProperty } from "@loom/testing";

// Gradient checks of composite functions and nn layers: they have no rules of their own, so
// these check that the primitives' rules compose (max subtraction in softmax, one-hot picking
// in cross-entropy, batch statistics in batch norm).

const RUNS = 10;

/** Values of magnitude in `[0.1, 2)` with a random sign: away from relu's kink at 0. */
const signed = (shape: readonly number[], next: () => number) => {
  const t = randomTensor(shape, next, 0.1, 2);
  return hostTensor(
    Array.from(t.data, (v) => (next() < 0.5 ? -v : v)),
    shape,
    "float64",
  );
};

/** A shape of rank >= 1 and an axis of it (negative half the time). */
const shapeAndAxis = shapeArb(1, 3, 4).chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc
      .integer({ min: 0, max: shape.length - 1 })
      .chain((a) => fc.constantFrom(a, a - shape.length)),
  ),
);

/** Fixed int32 class labels in `[0, classes)`, as a constant built inside the traced function. */
const labelsOf = (batch: number, classes: number, next: () => number) =>
  Array.from({ length: batch }, () => Math.floor(next() * classes));

/** One float64 input of `shape` in `[-3, 3)`, for the softmax family. */
const logits = (shape: readonly number[], next: () => number) => [randomTensor(shape, next, -3, 3)];

describe("gradients of softmax-family composites", () => {
  it("softmax along a random axis", () =>
    vjpProperty(
      shapeAndAxis,
      ([shape, axis], next) => ({ f: ([x]) => softmax(x!, axis), xs: logits(shape, next) }),
      RUNS,
    ));

  it("logSoftmax along a random axis", () =>
    vjpProperty(
      shapeAndAxis,
      ([shape, axis], next) => ({ f: ([x]) => logSoftmax(x!, axis), xs: logits(shape, next) }),
      RUNS,
    ));

  it("logSumExp over an axis, keepdims or not, and over everything", () =>
    vjpProperty(
      fc.tuple(shapeAndAxis, fc.boolean(), fc.boolean()),
      ([[shape, axis], all, kd], next) => ({
        f: ([x]) => logSumExp(x!, all ? undefined : axis, kd),
        xs: logits(shape, next),
      }),
      RUNS,
    ));

  it("softmax of large logits (1e3) still has the right gradient", () =>
    vjpProperty(
      fc.integer({ min: 2, max: 6 }),
      (n, next) => ({ f: ([v]) => softmax(v!), xs: [randomTensor([2, n], next, 1000, 1002)] }),
      5,
    ));
});

describe("gradients of losses", () => {
  const batchClasses = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 6 }));

  it("softmaxCrossEntropy w.r.t. logits, with fixed int32 labels", () =>
    vjpProperty(
      batchClasses,
      ([b, c], next) => {
        const labels = labelsOf(b, c, next);
        return {
          f: ([x]) => softmaxCrossEntropy(x!, constant(labels, [b], "int32")),
          xs: logits([b, c], next),
        };
      },
      RUNS,
    ));

  it("a oneHot-based loss: -sum(oneHot(labels) * log(softmax(x)))", () =>
    vjpProperty(
      batchClasses,
      ([b, c], next) => {
        const labels = labelsOf(b, c, next);
        const hot = () => oneHot(constant(labels, [b], "int32"), c, "float64");
        return { f: ([x]) => neg(sum(mul(hot(), log(softmax(x!))))), xs: logits([b, c], next) };
      },
      RUNS,
    ));

  it("binaryCrossEntropyWithLogits w.r.t. logits and targets", () =>
    vjpProperty(
      shapeArb(1, 3, 4),
      (shape, next) => ({
        f: ([x, t]) => binaryCrossEntropyWithLogits(x!, t!),
        xs: [signed(shape, next), randomTensor(shape, next, 0, 1)],
      }),
      RUNS,
    ));

  it("mse w.r.t. prediction and target", () =>
    vjpProperty(
      shapeArb(0, 3, 4),
      (shape, next) => ({
        f: ([p, t]) => mse(p!, t!),
        xs: [randomTensor(shape, next), randomTensor(shape, next)],
      }),
      RUNS,
    ));

  it("variance over random axes", () =>
    vjpProperty(
      fc.tuple(shapeAndAxis, fc.boolean()),
      ([[shape, axis], kd], next) => ({
        f: ([x]) => variance(x!, [axis], kd),
        xs: [randomTensor(shape, next)],
      }),
      RUNS,
    ));
});

describe("gradients of activations and small composites", () => {
  const acts: readonly [string, (x: Tensor) => Tensor][] = [
    ["sigmoid", sigmoid],
    ["relu (away from 0)", relu],
    ["leakyRelu (away from 0)", (x) => leakyRelu(x, 0.2)],
    ["leakyRelu default slope", (x) => leakyRelu(x)],
  ];
  it.each(acts)("%s", (what, act) =>
    vjpProperty(
      shapeArb(0, 3, 4),
      (shape, next) => ({ f: ([x]) => act(x!), xs: [signed(shape, next)], what }),
      RUNS,
    ),
  );

  it("globalAvgPool", () =>
    vjpProperty(
      fc.tuple(...[2, 3, 5, 5].map((m) => fc.integer({ min: 1, max: m }))),
      (shape, next) => ({ f: ([x]) => sin(globalAvgPool(x!)), xs: [randomTensor(shape, next)] }),
      RUNS,
    ));

  it("linear with and without bias, w.r.t. x, w and b", () =>
    vjpProperty(
      fc.record({
        lead: shapeArb(1, 2, 3),
        dims: intsArb({ inp: [1, 4], out: [1, 4] }),
        bias: fc.boolean(),
      }),
      ({ lead, dims: { inp, out }, bias }, next) => {
        const xs = [randomTensor([...lead, inp], next), randomTensor([out, inp], next)];
        if (bias) xs.push(randomTensor([out], next));
        return { f: ([x, w, b]) => sin(linear(x!, w!, b)), xs };
      },
      RUNS,
    ));
});

describe("gradients through nn layers' apply functions", () => {
  const infer = { training: false } as const;

  it("nn.dense w.r.t. x, w and b", () =>
    vjpProperty(
      intsArb({ n: [1, 4], inp: [1, 4], units: [1, 4] }),
      ({ n, inp, units }, next) => {
        const layer = nn.dense(units);
        return {
          f: ([x, w, b]) => layer.apply({ w: w!, b: b! }, {}, x!, infer).y,
          xs: [[n, inp], [units, inp], [units]].map((s) => randomTensor(s, next)),
        };
      },
      RUNS,
    ));

  it("nn.conv2d w.r.t. x, w and b", () =>
    vjpProperty(
      fc.record({
        dims: intsArb({ c: [1, 2], filters: [1, 3], k: [1, 3], hw: [3, 6], stride: [1, 2] }),
        same: fc.boolean(),
      }),
      ({ dims: { c, filters, k, hw, stride }, same }, next) => {
        const layer = nn.conv2d(filters, k, { stride, padding: same ? "same" : "valid" });
        return {
          f: ([x, w, b]) => sin(layer.apply({ w: w!, b: b! }, {}, x!, infer).y),
          xs: [[2, c, hw, hw], [filters, c, k, k], [filters]].map((s) => randomTensor(s, next)),
        };
      },
      RUNS,
    ));

  it("nn.batchNorm in training mode w.r.t. x, gamma and beta ([N,F] and [N,C,H,W])", () =>
    vjpProperty(
      fc.record({ image: fc.boolean(), dims: intsArb({ n: [3, 5], c: [1, 3], hw: [1, 3] }) }),
      ({ image, dims: { n, c, hw } }, next) => {
        const shape = image ? [n, c, hw, hw] : [n, c];
        const layer = nn.batchNorm();
        const zeros = Array.from({ length: c }, () => 0);
        const ones = Array.from({ length: c }, () => 1);
        const f = ([x, gamma, beta]: Tensor[]) => {
          const state = {
            mean: constant(zeros, [c], "float64"),
            var: constant(ones, [c], "float64"),
          };
          return sin(layer.apply({ gamma: gamma!, beta: beta! }, state, x!, { training: true }).y);
        };
        const xs = [
          randomTensor(shape, next, -2, 2),
          randomTensor([c], next, 0.5, 1.5),
          randomTensor([c], next),
        ];
        return { f, xs, what: `batchNorm ${shape}` };
      },
      RUNS,
    ));

  it("nn.batchNorm's running-variance update w.r.t. x (Bessel-corrected batch variance)", () =>
    vjpProperty(
      intsArb({ n: [2, 5], c: [1, 3] }),
      ({ n, c }, next) => {
        const layer = nn.batchNorm({ momentum: 0.3 });
        const f = ([x, g, b, m, v]: Tensor[]) => {
          const r = layer.apply({ gamma: g!, beta: b! }, { mean: m!, var: v! }, x!, {
            training: true,
          });
          const s = r.state as { mean: Tensor; var: Tensor };
          return mul(s.mean, s.var);
        };
        const xs = [
          randomTensor([n, c], next, -2, 2),
          randomTensor([c], next),
          randomTensor([c], next),
          randomTensor([c], next),
          randomTensor([c], next, 0.5, 1.5),
        ];
        return { f, xs };
      },
      RUNS,
    ));

  it("nn.dropout with a fixed key (a fixed mask)", () =>
    vjpProperty(
      fc.tuple(shapeArb(1, 3, 4), fc.constantFrom(0.25, 0.5, 0.75)),
      ([shape, rate], next, seed) => {
        const layer = nn.dropout(rate);
        const k = Array.from(key(seed).data);
        return {
          f: ([x]) =>
            sin(layer.apply({}, {}, x!, { training: true, key: constant(k, [2], "int32") }).y),
          xs: [randomTensor(shape, next)],
          what: `dropout ${rate}`,
        };
      },
      RUNS,
    ));
});
