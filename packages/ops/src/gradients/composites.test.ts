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
import { assertVjp, randomTensor, rng, seedArb, shapeArb } from "@loom/testing";

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

describe("gradients of softmax-family composites", () => {
  it("softmax along a random axis", async () => {
    await fc.assert(
      fc.asyncProperty(shapeAndAxis, seedArb, async ([shape, axis], seed) => {
        const f = ([x]: Tensor[]) => softmax(x!, axis);
        await assertVjp(f, [randomTensor(shape, rng(seed), -3, 3)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("logSoftmax along a random axis", async () => {
    await fc.assert(
      fc.asyncProperty(shapeAndAxis, seedArb, async ([shape, axis], seed) => {
        const f = ([x]: Tensor[]) => logSoftmax(x!, axis);
        await assertVjp(f, [randomTensor(shape, rng(seed), -3, 3)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("logSumExp over an axis, keepdims or not, and over everything", async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeAndAxis,
        fc.boolean(),
        fc.boolean(),
        seedArb,
        async (sa, all, kd, seed) => {
          const [shape, axis] = sa;
          const f = ([x]: Tensor[]) => logSumExp(x!, all ? undefined : axis, kd);
          await assertVjp(f, [randomTensor(shape, rng(seed), -3, 3)], { seed });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("softmax of large logits (1e3) still has the right gradient", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 6 }), seedArb, async (n, seed) => {
        const x = randomTensor([2, n], rng(seed), 1000, 1002);
        await assertVjp(([v]) => softmax(v!), [x], { seed });
      }),
      { numRuns: 5 },
    );
  });
});

describe("gradients of losses", () => {
  const batchClasses = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 6 }));

  it("softmaxCrossEntropy w.r.t. logits, with fixed int32 labels", async () => {
    await fc.assert(
      fc.asyncProperty(batchClasses, seedArb, async ([b, c], seed) => {
        const next = rng(seed);
        const labels = labelsOf(b, c, next);
        const f = ([x]: Tensor[]) => softmaxCrossEntropy(x!, constant(labels, [b], "int32"));
        await assertVjp(f, [randomTensor([b, c], next, -3, 3)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("a oneHot-based loss: -sum(oneHot(labels) * log(softmax(x)))", async () => {
    await fc.assert(
      fc.asyncProperty(batchClasses, seedArb, async ([b, c], seed) => {
        const next = rng(seed);
        const labels = labelsOf(b, c, next);
        const f = ([x]: Tensor[]) =>
          neg(sum(mul(oneHot(constant(labels, [b], "int32"), c, "float64"), log(softmax(x!)))));
        await assertVjp(f, [randomTensor([b, c], next, -3, 3)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("binaryCrossEntropyWithLogits w.r.t. logits and targets", async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(1, 3, 4), seedArb, async (shape, seed) => {
        const next = rng(seed);
        const f = ([x, t]: Tensor[]) => binaryCrossEntropyWithLogits(x!, t!);
        await assertVjp(f, [signed(shape, next), randomTensor(shape, next, 0, 1)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("mse w.r.t. prediction and target", async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(0, 3, 4), seedArb, async (shape, seed) => {
        const next = rng(seed);
        const f = ([p, t]: Tensor[]) => mse(p!, t!);
        await assertVjp(f, [randomTensor(shape, next), randomTensor(shape, next)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("variance over random axes", async () => {
    await fc.assert(
      fc.asyncProperty(shapeAndAxis, fc.boolean(), seedArb, async ([shape, axis], kd, seed) => {
        const f = ([x]: Tensor[]) => variance(x!, [axis], kd);
        await assertVjp(f, [randomTensor(shape, rng(seed))], { seed });
      }),
      { numRuns: RUNS },
    );
  });
});

describe("gradients of activations and small composites", () => {
  const acts: readonly [string, (x: Tensor) => Tensor][] = [
    ["sigmoid", sigmoid],
    ["relu (away from 0)", relu],
    ["leakyRelu (away from 0)", (x) => leakyRelu(x, 0.2)],
    ["leakyRelu default slope", (x) => leakyRelu(x)],
  ];
  it.each(acts)("%s", async (what, act) => {
    await fc.assert(
      fc.asyncProperty(shapeArb(0, 3, 4), seedArb, async (shape, seed) => {
        await assertVjp(([x]) => act(x!), [signed(shape, rng(seed))], { seed, what });
      }),
      { numRuns: RUNS },
    );
  });

  it("globalAvgPool", async () => {
    const arb = fc.tuple(...[2, 3, 5, 5].map((m) => fc.integer({ min: 1, max: m })));
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async (shape, seed) => {
        const f = ([x]: Tensor[]) => sin(globalAvgPool(x!));
        await assertVjp(f, [randomTensor(shape, rng(seed))], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("linear with and without bias, w.r.t. x, w and b", async () => {
    const arb = fc.record({
      lead: shapeArb(1, 2, 3),
      inp: fc.integer({ min: 1, max: 4 }),
      out: fc.integer({ min: 1, max: 4 }),
      bias: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ({ lead, inp, out, bias }, seed) => {
        const next = rng(seed);
        const xs = [randomTensor([...lead, inp], next), randomTensor([out, inp], next)];
        if (bias) xs.push(randomTensor([out], next));
        const f = ([x, w, b]: Tensor[]) => sin(linear(x!, w!, b));
        await assertVjp(f, xs, { seed });
      }),
      { numRuns: RUNS },
    );
  });
});

describe("gradients through nn layers' apply functions", () => {
  const infer = { training: false } as const;

  it("nn.dense w.r.t. x, w and b", async () => {
    const arb = fc.tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ([n, inp, units], seed) => {
        const next = rng(seed);
        const layer = nn.dense(units);
        const f = ([x, w, b]: Tensor[]) => layer.apply({ w: w!, b: b! }, {}, x!, infer).y;
        const xs = [
          randomTensor([n, inp], next),
          randomTensor([units, inp], next),
          randomTensor([units], next),
        ];
        await assertVjp(f, xs, { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("nn.conv2d w.r.t. x, w and b", async () => {
    const arb = fc.record({
      c: fc.integer({ min: 1, max: 2 }),
      filters: fc.integer({ min: 1, max: 3 }),
      k: fc.integer({ min: 1, max: 3 }),
      hw: fc.integer({ min: 3, max: 6 }),
      stride: fc.integer({ min: 1, max: 2 }),
      same: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ({ c, filters, k, hw, stride, same }, seed) => {
        const next = rng(seed);
        const layer = nn.conv2d(filters, k, { stride, padding: same ? "same" : "valid" });
        const f = ([x, w, b]: Tensor[]) => sin(layer.apply({ w: w!, b: b! }, {}, x!, infer).y);
        const xs = [
          randomTensor([2, c, hw, hw], next),
          randomTensor([filters, c, k, k], next),
          randomTensor([filters], next),
        ];
        await assertVjp(f, xs, { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("nn.batchNorm in training mode w.r.t. x, gamma and beta ([N,F] and [N,C,H,W])", async () => {
    const arb = fc.record({
      image: fc.boolean(),
      n: fc.integer({ min: 3, max: 5 }),
      c: fc.integer({ min: 1, max: 3 }),
      hw: fc.integer({ min: 1, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ({ image, n, c, hw }, seed) => {
        const next = rng(seed);
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
        await assertVjp(f, xs, { seed, what: `batchNorm ${shape}` });
      }),
      { numRuns: RUNS },
    );
  });

  it("nn.batchNorm's running-variance update w.r.t. x (Bessel-corrected batch variance)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        seedArb,
        async (n, c, seed) => {
          const layer = nn.batchNorm({ momentum: 0.3 });
          const f = ([x, g, b, m, v]: Tensor[]) => {
            const r = layer.apply({ gamma: g!, beta: b! }, { mean: m!, var: v! }, x!, {
              training: true,
            });
            const s = r.state as { mean: Tensor; var: Tensor };
            return mul(s.mean, s.var);
          };
          const next = rng(seed);
          const xs = [
            randomTensor([n, c], next, -2, 2),
            randomTensor([c], next),
            randomTensor([c], next),
            randomTensor([c], next),
            randomTensor([c], next, 0.5, 1.5),
          ];
          await assertVjp(f, xs, { seed });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("nn.dropout with a fixed key (a fixed mask)", async () => {
    const arb = fc.tuple(shapeArb(1, 3, 4), fc.constantFrom(0.25, 0.5, 0.75));
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ([shape, rate], seed) => {
        const layer = nn.dropout(rate);
        const k = Array.from(key(seed).data);
        const f = ([x]: Tensor[]) =>
          sin(layer.apply({}, {}, x!, { training: true, key: constant(k, [2], "int32") }).y);
        await assertVjp(f, [randomTensor(shape, rng(seed))], { seed, what: `dropout ${rate}` });
      }),
      { numRuns: RUNS },
    );
  });
});
