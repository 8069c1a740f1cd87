import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Backend, DType, HostTensor, Shape } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "../index";
import {
  binaryCrossEntropyWithLogits,
  compile,
  globalAvgPool,
  hostTensor,
  input,
  linear,
  logSoftmax,
  mse,
  oneHot,
  softmax,
  softmaxCrossEntropy,
} from "../index";
import { describeBackends, FLOAT64_BACKENDS } from "@loom/testing";
import { rng } from "@loom/testing";

// ---------- helpers ----------

/** Runs `fn` on named inputs with the reference backend and returns its single output `y`. */
const run1Of =
  (backend: () => Backend) =>
  async (
    fn: (xs: Record<string, Tensor>) => Tensor,
    feeds: Record<string, HostTensor>,
  ): Promise<HostTensor> => {
    const specs: Record<string, TensorSpec> = Object.fromEntries(
      Object.entries(feeds).map(([k, v]) => [k, { shape: v.shape, dtype: v.dtype }]),
    );
    const f = compile(
      backend(),
      (xs: Tree<Tensor>) => ({ y: fn(xs as Record<string, Tensor>) }),
      specs,
    );
    const out = (await f.run(feeds)) as { y: HostTensor };
    return out.y;
  };

const randn = (n: number, seed: number, scale = 3): number[] => {
  const r = rng(seed);
  return Array.from({ length: n }, () => (r() * 2 - 1) * scale);
};

const randInt = (n: number, hi: number, seed: number): number[] => {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * hi));
};

/** float32-appropriate closeness: |a - b| <= tol * (1 + |b|) elementwise. */
const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
      throw new Error(`element ${i}: got ${a}, expected ${e} (tol ${tol})`);
    }
  }
};

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof LoomError) return e.code;
    throw e;
  }
  return undefined;
};

const tfValues = async (t: tf.Tensor): Promise<number[]> => Array.from(await t.data());

// ---------- float64 plain-JS references ----------

/** Softmax / log-softmax of the rows of a row-major [rows, cols] array. */
const rowsRef = (x: readonly number[], cols: number, log: boolean): number[] => {
  const out: number[] = [];
  for (let r = 0; r < x.length / cols; r++) {
    const row = x.slice(r * cols, (r + 1) * cols);
    const m = Math.max(...row);
    const s = row.reduce((acc, v) => acc + Math.exp(v - m), 0);
    for (const v of row) out.push(log ? v - m - Math.log(s) : Math.exp(v - m) / s);
  }
  return out;
};

/** Moves `axis` of a concrete shape last (returns the permuted data and a way back). */
const axisLast = (x: readonly number[], shape: readonly number[], axis: number) => {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const n = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const idx = (o: number, j: number, i: number) => (o * n + j) * inner + i;
  const moved: number[] = [];
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) for (let j = 0; j < n; j++) moved.push(x[idx(o, j, i)]!);
  const back = (y: readonly number[]) => {
    const res = new Array<number>(x.length);
    let k = 0;
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) for (let j = 0; j < n; j++) res[idx(o, j, i)] = y[k++]!;
    return res;
  };
  return { moved, n, back };
};

const softmaxRef = (x: readonly number[], shape: readonly number[], axis: number, log: boolean) => {
  const a = axis < 0 ? axis + shape.length : axis;
  const { moved, n, back } = axisLast(x, shape, a);
  return back(rowsRef(moved, n, log));
};

const crossEntropyRef = (logits: readonly number[], labels: readonly number[], c: number) => {
  const ls = rowsRef(logits, c, true);
  return -labels.reduce((acc, l, b) => acc + ls[b * c + l]!, 0) / labels.length;
};

const bceRef = (x: readonly number[], t: readonly number[]) =>
  x.reduce(
    (acc, v, i) => acc + (Math.max(v, 0) - v * t[i]! + Math.log1p(Math.exp(-Math.abs(v)))),
    0,
  ) / x.length;

// ---------- tests ----------

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const shapeArb = fc.record({
  rows: fc.integer({ min: 1, max: 5 }),
  cols: fc.integer({ min: 1, max: 9 }),
  seed: fc.integer(),
});

describeBackends(FLOAT64_BACKENDS, (on) => {
  const run1 = run1Of(on.backend);
  describe("softmax and logSoftmax", () => {
    it.each([
      { shape: [7], axis: -1 },
      { shape: [3, 5], axis: -1 },
      { shape: [3, 5], axis: 0 },
      { shape: [2, 3, 4], axis: 1 },
      { shape: [2, 1, 4], axis: 1 },
    ])("match a float64 reference on $shape along axis $axis", async ({ shape, axis }) => {
      const n = shape.reduce((p, d) => p * d, 1);
      const x = randn(n, n * 31 + axis, 5);
      const feeds = { x: hostTensor(x, shape) };
      const sm = await run1(({ x }) => softmax(x!, axis), feeds);
      const lsm = await run1(({ x }) => logSoftmax(x!, axis), feeds);
      expect(sm.shape).toEqual(shape);
      expectClose(sm.data, softmaxRef(x, shape, axis, false));
      expectClose(lsm.data, softmaxRef(x, shape, axis, true));
    });

    it("match tf.softmax and tf.logSoftmax on random shapes", async () => {
      await fc.assert(
        fc.asyncProperty(shapeArb, async ({ rows, cols, seed }) => {
          const x = randn(rows * cols, seed, 10);
          const feeds = { x: hostTensor(x, [rows, cols]) };
          const sm = await run1(({ x }) => softmax(x!), feeds);
          const lsm = await run1(({ x }) => logSoftmax(x!), feeds);
          const t = tf.tensor2d(x, [rows, cols]);
          expectClose(sm.data, await tfValues(tf.softmax(t)), 1e-5);
          expectClose(lsm.data, await tfValues(tf.logSoftmax(t)), 1e-5);
        }),
        { numRuns: 12 },
      );
    });

    it("stay finite and exact for logits of magnitude 1e4", async () => {
      const x = [1e4, -1e4, 0, -1e4, -1e4, -1e4];
      const feeds = { x: hostTensor(x, [2, 3]) };
      const sm = await run1(({ x }) => softmax(x!), feeds);
      const lsm = await run1(({ x }) => logSoftmax(x!), feeds);
      expect(Array.from(sm.data)).toEqual([1, 0, 0, 1 / 3, 1 / 3, 1 / 3].map(Math.fround));
      expectClose(lsm.data, [0, -2e4, -1e4, -Math.log(3), -Math.log(3), -Math.log(3)], 1e-6);
      expect(Array.from(lsm.data).every(Number.isFinite)).toBe(true);
    });
  });

  describe("oneHot", () => {
    it("matches tf.oneHot, with out-of-range labels giving zero rows", async () => {
      const labels = [0, 3, 1, 4, -1, 2];
      const out = await run1(({ l }) => oneHot(l!, 4), { l: hostTensor(labels, [2, 3], "int32") });
      expect(out.shape).toEqual([2, 3, 4]);
      expect(out.dtype).toBe("float32");
      const ref = await tfValues(tf.oneHot(tf.tensor2d(labels, [2, 3], "int32"), 4));
      expect(Array.from(out.data)).toEqual(ref);
      expect(ref.slice(12, 20)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    });

    it("takes the requested dtype", async () => {
      const out = await run1(({ l }) => oneHot(l!, 3, "int32"), {
        l: hostTensor([2, 0], [2], "int32"),
      });
      expect(out.dtype).toBe("int32");
      expect(Array.from(out.data)).toEqual([0, 0, 1, 1, 0, 0]);
    });

    it("rejects float labels and a bad class count", () => {
      expect(codeOf(() => oneHot(input("l", [3]), 4))).toBe("dtype_mismatch");
      expect(codeOf(() => oneHot(input("l", [3], "int32"), 0))).toBe("invalid_argument");
      expect(codeOf(() => oneHot(input("l", [3], "int32"), 2.5))).toBe("invalid_argument");
    });
  });

  describe("softmaxCrossEntropy", () => {
    const ce = (logits: number[], labels: number[], b: number, c: number) =>
      run1(({ x, l }) => softmaxCrossEntropy(x!, l!), {
        x: hostTensor(logits, [b, c]),
        l: hostTensor(labels, [b], "int32"),
      });

    it("matches a float64 reference and tf.losses.softmaxCrossEntropy", async () => {
      await fc.assert(
        fc.asyncProperty(shapeArb, async ({ rows, cols, seed }) => {
          const logits = randn(rows * cols, seed, 6);
          const labels = randInt(rows, cols, seed + 1);
          const out = await ce(logits, labels, rows, cols);
          expect(out.shape).toEqual([]);
          const ref = crossEntropyRef(logits, labels, cols);
          expectClose(out.data, [ref], 1e-5);
          // Built by hand: tf.oneHot refuses a depth of 1.
          const hot = labels.flatMap((l) =>
            Array.from({ length: cols }, (_, j) => (j === l ? 1 : 0)),
          );
          const tfRef = tf.losses.softmaxCrossEntropy(
            tf.tensor2d(hot, [rows, cols]),
            tf.tensor2d(logits, [rows, cols]),
          );
          expectClose(out.data, await tfValues(tfRef), 1e-5);
        }),
        { numRuns: 12 },
      );
    });

    it("is finite and exact for logits of magnitude 1e4", async () => {
      const logits = [1e4, -1e4, 0, 1e4, -1e4, 0];
      expectClose((await ce(logits, [0, 0], 2, 3)).data, [0]);
      expectClose((await ce(logits, [1, 2], 2, 3)).data, [(2e4 + 1e4) / 2]);
    });

    it("works with a symbolic batch dim", async () => {
      const f = compile(
        on.backend(),
        (xs: Tree<Tensor>) => {
          const { x, l } = xs as Record<string, Tensor>;
          return { y: softmaxCrossEntropy(x!, l!) };
        },
        { x: { shape: ["N", 3] }, l: { shape: ["N"], dtype: "int32" } },
      );
      const logits = [1, 2, 3, 0, 0, 0];
      const out = (await f.run({
        x: hostTensor(logits, [2, 3]),
        l: hostTensor([2, 1], [2], "int32"),
      })) as { y: HostTensor };
      expectClose(out.y.data, [crossEntropyRef(logits, [2, 1], 3)]);
    });

    it.each<[string, Shape, Shape, DType, string]>([
      ["float labels", [4, 3], [4], "float32", "dtype_mismatch"],
      ["labels of rank 2", [4, 3], [4, 1], "int32", "rank_mismatch"],
      ["logits of rank 3", [4, 3, 2], [4], "int32", "rank_mismatch"],
      ["a batch mismatch", [4, 3], [5], "int32", "shape_mismatch"],
    ])("rejects %s", (_, xs, ls, ld, code) => {
      expect(codeOf(() => softmaxCrossEntropy(input("x", xs), input("l", ls, ld)))).toBe(code);
      try {
        softmaxCrossEntropy(input("x", xs), input("l", ls, ld));
      } catch (e) {
        expect((e as LoomError).op).toBe("softmaxCrossEntropy");
        expect((e as LoomError).message).toContain(`[${xs.join(",")}]`);
      }
    });

    it("rejects int logits", () => {
      expect(
        codeOf(() => softmaxCrossEntropy(input("x", [2, 3], "int32"), input("l", [2], "int32"))),
      ).toBe("dtype_mismatch");
    });
  });

  describe("binaryCrossEntropyWithLogits", () => {
    it("matches a float64 reference and tf.losses.sigmoidCrossEntropy", async () => {
      await fc.assert(
        fc.asyncProperty(shapeArb, async ({ rows, cols, seed }) => {
          const x = randn(rows * cols, seed, 8);
          const t = randn(rows * cols, seed + 7, 0.5).map((v) => v + 0.5);
          const out = await run1(({ x, t }) => binaryCrossEntropyWithLogits(x!, t!), {
            x: hostTensor(x, [rows, cols]),
            t: hostTensor(t, [rows, cols]),
          });
          expect(out.shape).toEqual([]);
          expectClose(out.data, [bceRef(x, t)], 1e-5);
          const tfRef = tf.losses.sigmoidCrossEntropy(
            tf.tensor2d(t, [rows, cols]),
            tf.tensor2d(x, [rows, cols]),
          );
          expectClose(out.data, await tfValues(tfRef), 1e-5);
        }),
        { numRuns: 12 },
      );
    });

    it("is finite for logits of magnitude 1e4", async () => {
      const out = await run1(({ x, t }) => binaryCrossEntropyWithLogits(x!, t!), {
        x: hostTensor([1e4, -1e4, 1e4, -1e4], [4]),
        t: hostTensor([1, 0, 0, 1], [4]),
      });
      expectClose(out.data, [(0 + 0 + 1e4 + 1e4) / 4]);
    });

    it("rejects shapes that differ", () => {
      expect(codeOf(() => binaryCrossEntropyWithLogits(input("x", [4]), input("t", [4, 1])))).toBe(
        "shape_mismatch",
      );
      expect(
        codeOf(() =>
          binaryCrossEntropyWithLogits(input("x", [4], "int32"), input("t", [4], "int32")),
        ),
      ).toBe("dtype_mismatch");
    });
  });

  describe("mse", () => {
    it("matches a float64 reference", async () => {
      const p = randn(12, 1);
      const t = randn(12, 2);
      const out = await run1(({ p, t }) => mse(p!, t!), {
        p: hostTensor(p, [3, 4]),
        t: hostTensor(t, [3, 4]),
      });
      expectClose(out.data, [p.reduce((a, v, i) => a + (v - t[i]!) ** 2, 0) / 12]);
    });

    it("rejects shapes that differ", () => {
      expect(codeOf(() => mse(input("p", [3, 4]), input("t", [4])))).toBe("shape_mismatch");
    });
  });

  describe("globalAvgPool", () => {
    it("averages each feature map", async () => {
      const shape = [2, 3, 4, 5];
      const x = randn(120, 3);
      const out = await run1(({ x }) => globalAvgPool(x!), { x: hostTensor(x, shape) });
      expect(out.shape).toEqual([2, 3]);
      const ref = Array.from(
        { length: 6 },
        (_, k) => x.slice(k * 20, (k + 1) * 20).reduce((a, v) => a + v, 0) / 20,
      );
      expectClose(out.data, ref);
    });

    it("rejects non-NCHW input", () => {
      expect(codeOf(() => globalAvgPool(input("x", [2, 3, 4])))).toBe("rank_mismatch");
    });
  });

  describe("linear", () => {
    const linearRef = (
      x: number[],
      w: number[],
      b: number[] | undefined,
      rows: number,
      inp: number,
      out: number,
    ) => {
      const y: number[] = [];
      for (let r = 0; r < rows; r++)
        for (let o = 0; o < out; o++) {
          let acc = b?.[o] ?? 0;
          for (let i = 0; i < inp; i++) acc += x[r * inp + i]! * w[o * inp + i]!;
          y.push(acc);
        }
      return y;
    };

    it("computes x @ w^T + b with PyTorch's [out, in] weights", async () => {
      const [rows, inp, out] = [3, 4, 5];
      const x = randn(rows * inp, 11);
      const w = randn(out * inp, 12);
      const b = randn(out, 13);
      const y = await run1(({ x, w, b }) => linear(x!, w!, b), {
        x: hostTensor(x, [rows, inp]),
        w: hostTensor(w, [out, inp]),
        b: hostTensor(b, [out]),
      });
      expect(y.shape).toEqual([rows, out]);
      expectClose(y.data, linearRef(x, w, b, rows, inp, out));
      const noBias = await run1(({ x, w }) => linear(x!, w!), {
        x: hostTensor(x, [rows, inp]),
        w: hostTensor(w, [out, inp]),
      });
      expectClose(noBias.data, linearRef(x, w, undefined, rows, inp, out));
    });

    it("maps leading batch dims", async () => {
      const x = randn(2 * 3 * 4, 21);
      const w = randn(2 * 4, 22);
      const y = await run1(({ x, w }) => linear(x!, w!), {
        x: hostTensor(x, [2, 3, 4]),
        w: hostTensor(w, [2, 4]),
      });
      expect(y.shape).toEqual([2, 3, 2]);
      expectClose(y.data, linearRef(x, w, undefined, 6, 4, 2));
    });

    it("rejects mismatched shapes", () => {
      expect(codeOf(() => linear(input("x", [3, 4]), input("w", [4, 5])))).toBe("shape_mismatch");
      expect(codeOf(() => linear(input("x", [3, 4]), input("w", [5, 4]), input("b", [4])))).toBe(
        "shape_mismatch",
      );
      expect(codeOf(() => linear(input("x", [3, 4]), input("w", [4])))).toBe("rank_mismatch");
    });
  });
});
