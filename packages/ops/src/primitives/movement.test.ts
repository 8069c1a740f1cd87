import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Backend, DType, HostTensor, Node } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "../index";
import {
  argmax,
  broadcastTo,
  compile,
  concat,
  expandDims,
  flip,
  hostTensor,
  input,
  logSumExp,
  max,
  mean,
  min,
  pad,
  buildNode,
  prim,
  primitives,
  reshape,
  slice,
  squeeze,
  sum,
  swapAxes,
  transpose,
  variance,
} from "../index";
import { describeBackends, FLOAT64_BACKENDS } from "@loom/testing";

// Movement ops and reductions through compile() + backend(), against a plain-JS
// N-d reference written here index by index, and against TensorFlow.js for the reductions.

beforeAll(async () => {
  await tf.setBackend("cpu");
});

// ---------- a plain-JS N-d reference (float64 numbers, row-major) ----------

/** A reference tensor: a shape and its row-major values. */
interface Nd {
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

const numel = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

const offsetOf = (idx: readonly number[], shape: readonly number[]) =>
  idx.reduce((acc, i, a) => acc * shape[a]! + i, 0);

const indexOf = (flat: number, shape: readonly number[]): number[] => {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = flat % shape[a]!;
    flat = Math.floor(flat / shape[a]!);
  }
  return idx;
};

/** A tensor of `shape` whose element at each multi-index is `f(index)`. */
const build = (shape: readonly number[], f: (idx: number[]) => number): Nd => ({
  shape,
  data: Array.from({ length: numel(shape) }, (_, flat) => f(indexOf(flat, shape))),
});

const at = (x: Nd, idx: readonly number[]) => x.data[offsetOf(idx, x.shape)]!;

const refTranspose = (x: Nd, perm: readonly number[]): Nd =>
  build(
    perm.map((p) => x.shape[p]!),
    (o) => {
      const j: number[] = [];
      perm.forEach((p, i) => (j[p] = o[i]!));
      return at(x, j);
    },
  );

const refBroadcast = (x: Nd, shape: readonly number[]): Nd => {
  const lead = shape.length - x.shape.length;
  return build(shape, (o) =>
    at(
      x,
      x.shape.map((d, i) => (d === 1 ? 0 : o[lead + i]!)),
    ),
  );
};

/** The indices Python's `range(*slice(b, e, s).indices(d))` visits, for a positive step. */
const pySliceIndices = (
  d: number,
  b: number | undefined,
  e: number | undefined,
  s: number,
): number[] => {
  const adjust = (v: number) => (v < 0 ? Math.max(v + d, 0) : Math.min(v, d));
  const lo = b === undefined ? 0 : adjust(b);
  const hi = e === undefined ? d : adjust(e);
  const out: number[] = [];
  for (let i = lo; i < hi; i += s) out.push(i);
  return out;
};

const refSlice = (
  x: Nd,
  begin: readonly (number | undefined)[],
  end: readonly (number | undefined)[],
  step: readonly number[],
): Nd => {
  const lists = x.shape.map((d, a) => pySliceIndices(d, begin[a], end[a], step[a] ?? 1));
  return build(
    lists.map((l) => l.length),
    (o) =>
      at(
        x,
        o.map((v, a) => lists[a]![v]!),
      ),
  );
};

const refPad = (x: Nd, pads: readonly (readonly [number, number])[], value: number): Nd =>
  build(
    x.shape.map((d, a) => pads[a]![0] + d + pads[a]![1]),
    (o) => {
      const j = o.map((v, a) => v - pads[a]![0]);
      return j.every((v, a) => v >= 0 && v < x.shape[a]!) ? at(x, j) : value;
    },
  );

const refConcat = (xs: readonly Nd[], axis: number): Nd => {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((p, x) => p + x.shape[axis]!, 0);
  return build(shape, (o) => {
    let i = o[axis]!;
    for (const x of xs) {
      if (i < x.shape[axis]!)
        return at(
          x,
          o.map((v, a) => (a === axis ? i : v)),
        );
      i -= x.shape[axis]!;
    }
    throw new Error("unreachable");
  });
};

const refFlip = (x: Nd, axes: readonly number[]): Nd =>
  build(x.shape, (o) =>
    at(
      x,
      o.map((v, a) => (axes.includes(a) ? x.shape[a]! - 1 - v : v)),
    ),
  );

/** Reduces `axes` with `f` over the values of each output position (in index order). */
const refReduce = (
  x: Nd,
  axes: readonly number[],
  keepdims: boolean,
  f: (vs: number[]) => number,
): Nd => {
  const kept = x.shape.map((d, a) => (axes.includes(a) ? 1 : d));
  const groups: number[][] = Array.from({ length: numel(kept) }, () => []);
  x.data.forEach((v, flat) => {
    const idx = indexOf(flat, x.shape).map((i, a) => (axes.includes(a) ? 0 : i));
    groups[offsetOf(idx, kept)]!.push(v);
  });
  const shape = keepdims ? kept : x.shape.filter((_, a) => !axes.includes(a));
  return { shape, data: groups.map(f) };
};

const fsum = (vs: number[]) => vs.reduce((p, v) => p + v, 0);
const fmax = (vs: number[]) => vs.reduce((p, v) => Math.max(p, v), -Infinity);
const fmin = (vs: number[]) => vs.reduce((p, v) => Math.min(p, v), Infinity);
const fmean = (vs: number[]) => fsum(vs) / vs.length;

// ---------- running loom ----------

/** Runs `fn` on `args` (graph inputs of `dtype`) with the reference backend; returns its one output. */
const runOf =
  (backend: () => Backend) =>
  async (
    fn: (...xs: Tensor[]) => Tensor,
    args: readonly Nd[],
    dtype: DType = "float32",
  ): Promise<HostTensor> => {
    const specs: TensorSpec[] = args.map((a) => ({ shape: a.shape, dtype }));
    const f = compile(backend(), (xs: Tree<Tensor>) => ({ y: fn(...(xs as Tensor[])) }), specs);
    const out = (await f.run(args.map((a) => hostTensor(a.data, a.shape, dtype)))) as {
      y: HostTensor;
    };
    return out.y;
  };

/** A seeded generator (an LCG) of values in `[lo, hi)`. */
const rng = (seed: number) => {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
};

/** A tensor of multiples of 1/8 in [-8, 8]: exact in float32, so movement results compare exactly. */
const randomNd = (shape: readonly number[], seed: number, scale = 8): Nd => {
  const next = rng(seed);
  return {
    shape,
    data: Array.from({ length: numel(shape) }, () => Math.round((next() * 2 - 1) * scale * 8) / 8),
  };
};

const expectExact = (got: HostTensor, want: Nd) => {
  expect(got.shape).toEqual(want.shape);
  expect(Array.from(got.data)).toEqual(want.data);
};

const expectClose = (got: HostTensor, want: Nd, rtol = 1e-5, atol = 1e-5) => {
  expect(got.shape).toEqual(want.shape);
  want.data.forEach((w, i) => {
    const g = got.data[i]!;
    if (Math.abs(g - w) > atol + rtol * Math.abs(w))
      expect.fail(`element ${i}: got ${g}, expected ${w}`);
  });
};

const RUNS = { numRuns: 30 };
const shapeArb = (minRank = 1, maxRank = 4) =>
  fc.array(fc.integer({ min: 1, max: 4 }), { minLength: minRank, maxLength: maxRank });
const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
/** A subset of the axes of a rank-r tensor, each maybe written as a negative axis. */
const axesArb = (rank: number) =>
  fc
    .tuple(
      fc.subarray(Array.from({ length: rank }, (_, i) => i)),
      fc.array(fc.boolean(), { minLength: rank, maxLength: rank }),
    )
    .map(([axes, negs]) => ({ axes, written: axes.map((a) => (negs[a] ? a - rank : a)) }));

// ---------- movement ops ----------

describeBackends(FLOAT64_BACKENDS, (on) => {
  const run = runOf(on.backend);
  describe("movement ops against the plain-JS reference", () => {
    it("reshape (with a -1) keeps row-major order", async () => {
      const arb = shapeArb().chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          target: fc.shuffledSubarray(shape, { minLength: shape.length, maxLength: shape.length }),
          hole: fc.integer({ min: 0, max: shape.length - 1 }),
          seed: seedArb,
        }),
      );
      await fc.assert(
        fc.asyncProperty(arb, async ({ shape, target, hole, seed }) => {
          const x = randomNd(shape, seed);
          const spec = target.map((d, i) => (i === hole ? -1 : d));
          expectExact(await run((t) => reshape(t, spec), [x]), { shape: target, data: x.data });
        }),
        RUNS,
      );
    });

    it("transpose by random permutations, and swapAxes", async () => {
      const arb = shapeArb().chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          perm: fc.shuffledSubarray(
            shape.map((_, i) => i),
            { minLength: shape.length, maxLength: shape.length },
          ),
          seed: seedArb,
        }),
      );
      await fc.assert(
        fc.asyncProperty(arb, async ({ shape, perm, seed }) => {
          const x = randomNd(shape, seed);
          expectExact(await run((t) => transpose(t, perm), [x]), refTranspose(x, perm));
        }),
        RUNS,
      );
      const x = randomNd([2, 3, 4], 7);
      expectExact(await run((t) => swapAxes(t, 0, -1), [x]), refTranspose(x, [2, 1, 0]));
      expectExact(await run((t) => transpose(t), [x]), refTranspose(x, [2, 1, 0]));
    });

    it("broadcast stretches size-1 dims and adds leading ones", async () => {
      const arb = shapeArb().chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          ones: fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
          drop: fc.integer({ min: 0, max: shape.length }),
          seed: seedArb,
        }),
      );
      await fc.assert(
        fc.asyncProperty(arb, async ({ shape, ones, drop, seed }) => {
          const src = shape.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
          const x = randomNd(src, seed);
          expectExact(await run((t) => broadcastTo(t, shape), [x]), refBroadcast(x, shape));
        }),
        RUNS,
      );
    });

    it("slice with NumPy semantics: negative and out-of-range indices, steps, missing axes", async () => {
      const arb = shapeArb().chain((shape) => {
        const bound = fc.option(fc.integer({ min: -6, max: 6 }), { nil: undefined });
        const n = shape.length;
        return fc.record({
          shape: fc.constant(shape),
          begin: fc.array(fc.integer({ min: -6, max: 6 }), { maxLength: n }),
          end: fc.array(bound, { maxLength: n }),
          step: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: n }),
          seed: seedArb,
        });
      });
      await fc.assert(
        fc.asyncProperty(arb, async ({ shape, begin, end, step, seed }) => {
          const x = randomNd(shape, seed);
          const want = refSlice(x, begin, end, step);
          expectExact(await run((t) => slice(t, begin, end, step), [x]), want);
        }),
        RUNS,
      );
    });

    it("pad with random pads and fill value", async () => {
      const arb = shapeArb(0).chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          pads: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), {
            minLength: shape.length,
            maxLength: shape.length,
          }),
          value: fc.integer({ min: -5, max: 5 }),
          seed: seedArb,
        }),
      );
      await fc.assert(
        fc.asyncProperty(arb, async ({ shape, pads, value, seed }) => {
          const x = randomNd(shape, seed);
          expectExact(await run((t) => pad(t, pads, value), [x]), refPad(x, pads, value));
        }),
        RUNS,
      );
    });

    it("pad of int32 and of an empty axis", async () => {
      const x = randomNd([2, 3], 3);
      const ints = { shape: x.shape, data: x.data.map(Math.round) };
      expectExact(
        await run(
          (t) =>
            pad(
              t,
              [
                [1, 0],
                [0, 2],
              ],
              -7,
            ),
          [ints],
          "int32",
        ),
        refPad(
          ints,
          [
            [1, 0],
            [0, 2],
          ],
          -7,
        ),
      );
      const empty: Nd = { shape: [0, 2], data: [] };
      expectExact(
        await run(
          (t) =>
            pad(
              t,
              [
                [1, 1],
                [0, 0],
              ],
              4,
            ),
          [empty],
        ),
        refPad(
          empty,
          [
            [1, 1],
            [0, 0],
          ],
          4,
        ),
      );
    });

    it("concat of 2-3 inputs along a random axis", async () => {
      const arb = shapeArb().chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          axis: fc.integer({ min: 0, max: shape.length - 1 }),
          negative: fc.boolean(),
          sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }),
          seed: seedArb,
        }),
      );
      await fc.assert(
        fc.asyncProperty(arb, async ({ shape, axis, negative, sizes, seed }) => {
          const xs = sizes.map((s, k) =>
            randomNd(
              shape.map((d, a) => (a === axis ? s : d)),
              seed + k,
            ),
          );
          const written = negative ? axis - shape.length : axis;
          expectExact(await run((...ts) => concat(ts, written), xs), refConcat(xs, axis));
        }),
        RUNS,
      );
    });

    it("concat skips empty inputs", async () => {
      const xs = [
        randomNd([2, 0], 1),
        randomNd([2, 3], 2),
        randomNd([2, 0], 3),
        randomNd([2, 1], 4),
      ];
      expectExact(await run((...ts) => concat(ts, 1), xs), refConcat(xs, 1));
    });

    it("flip along random axes", async () => {
      const arb = shapeArb().chain((shape) =>
        fc.record({ shape: fc.constant(shape), axes: axesArb(shape.length), seed: seedArb }),
      );
      await fc.assert(
        fc.asyncProperty(arb, async ({ shape, axes, seed }) => {
          const x = randomNd(shape, seed);
          expectExact(await run((t) => flip(t, axes.written), [x]), refFlip(x, axes.axes));
        }),
        RUNS,
      );
    });

    it("compositions of random movement ops", async () => {
      type Step = { loom: (t: Tensor) => Tensor; ref: (x: Nd) => Nd };
      /** Draws a movement op that fits the current shape, applied alike to loom and the reference. */
      const drawStep = (next: () => number, shape: readonly number[]): Step => {
        const r = shape.length;
        const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
        const axes = shape.map((_, i) => i);
        const shuffled = [...axes].sort(() => next() - 0.5);
        switch (int(0, 6)) {
          case 0:
            return { loom: (t) => transpose(t, shuffled), ref: (x) => refTranspose(x, shuffled) };
          case 1: {
            const b = shape.map(() => int(-3, 3));
            const e = shape.map(() => int(-3, 4));
            const s = shape.map(() => int(1, 2));
            return { loom: (t) => slice(t, b, e, s), ref: (x) => refSlice(x, b, e, s) };
          }
          case 2: {
            const p = shape.map(() => [int(0, 1), int(0, 1)] as [number, number]);
            const v = int(-2, 2);
            return { loom: (t) => pad(t, p, v), ref: (x) => refPad(x, p, v) };
          }
          case 3: {
            const f = axes.filter(() => next() < 0.5);
            return { loom: (t) => flip(t, f), ref: (x) => refFlip(x, f) };
          }
          case 4: {
            const target = [...shape].sort(() => next() - 0.5);
            return {
              loom: (t) => reshape(t, target),
              ref: (x) => ({ shape: target, data: x.data }),
            };
          }
          case 5: {
            const a = int(0, r - 1);
            return {
              loom: (t) => concat([t, flip(t, a)], a),
              ref: (x) => refConcat([x, refFlip(x, [a])], a),
            };
          }
          default: {
            const a = int(0, r);
            const grown = [...shape.slice(0, a), 2, ...shape.slice(a)];
            return {
              loom: (t) => squeeze(broadcastTo(expandDims(expandDims(t, a), 0), [1, ...grown]), 0),
              ref: (x) =>
                refBroadcast(
                  { shape: [...x.shape.slice(0, a), 1, ...x.shape.slice(a)], data: x.data },
                  grown,
                ),
            };
          }
        }
      };
      await fc.assert(
        fc.asyncProperty(
          shapeArb(1, 3),
          seedArb,
          fc.integer({ min: 2, max: 4 }),
          async (shape, seed, count) => {
            const next = rng(seed ^ 0x5bd1e995);
            let want = randomNd(shape, seed);
            const x = want;
            const steps: Step[] = [];
            for (let k = 0; k < count && numel(want.shape) > 0; k++) {
              const step = drawStep(next, want.shape);
              want = step.ref(want);
              steps.push(step);
            }
            expectExact(await run((t) => steps.reduce((acc, s) => s.loom(acc), t), [x]), want);
          },
        ),
        RUNS,
      );
    });

    it("symbolic batch dims survive slice, flip, pad, concat and reshape", async () => {
      const f = compile(
        on.backend(),
        (x: Tree<Tensor>) => {
          const t = x as Tensor;
          const a = reshape(slice(t, [0, 1], [null, 3]), ["N", -1]);
          const b = reshape(flip(t, 2), ["N", -1]);
          return {
            y: pad(
              concat([a, b], 1),
              [
                [0, 0],
                [1, 1],
              ],
              7,
            ),
          };
        },
        { shape: ["N", 3, 4] },
      );
      expect((f.traced.outputStructure as { y: Tensor }).y.shape).toEqual(["N", 22]);
      for (const n of [2, 3]) {
        const x = randomNd([n, 3, 4], n);
        const a = refSlice(x, [0, 1], [undefined, 3], [1, 1, 1]);
        const b = refFlip(x, [2]);
        const flat = (z: Nd) => ({ shape: [n, numel(z.shape) / n], data: z.data });
        const want = refPad(
          refConcat([flat(a), flat(b)], 1),
          [
            [0, 0],
            [1, 1],
          ],
          7,
        );
        expectExact(((await f.run(hostTensor(x.data, x.shape))) as { y: HostTensor }).y, want);
      }
    });
  });

  // ---------- VJPs of the movement primitives ----------

  describe("movement VJPs are the adjoints of their ops", () => {
    /** `<ct, op(xs)>` and `<vjp(ct), xs>` must agree for a linear op; checked in float64. */
    const checkAdjoint = async (
      op: "transpose" | "slice" | "pad" | "concat" | "flip",
      xs: readonly Nd[],
      attrs: object,
      seed: number,
    ) => {
      const specs = xs.map((x) => ({ shape: x.shape, dtype: "float64" as const }));
      const build = (ins: Tensor[]) => prim(op, ins, attrs as never);
      const outShape = build(xs.map((x, k) => input(`x${k}`, x.shape, "float64")))
        .shape as number[];
      const ct = randomNd(outShape, seed + 99);
      const f = compile(
        on.backend(),
        (tree: Tree<Tensor>) => {
          const { xs: ins, ct: c } = tree as { xs: Tensor[]; ct: Tensor };
          const y = build(ins);
          const def = primitives[op];
          const grads = def.vjp({
            prim: buildNode,
            inputs: ins,
            out: y,
            attrs: attrs as never,
            ct: c,
          }) as Node[];
          return { y, grads };
        },
        { xs: specs, ct: { shape: outShape, dtype: "float64" } },
      );
      const out = (await f.run({
        xs: xs.map((x) => hostTensor(x.data, x.shape, "float64")),
        ct: hostTensor(ct.data, ct.shape, "float64"),
      })) as { y: HostTensor; grads: HostTensor[] };
      const dot = (a: ArrayLike<number>, b: ArrayLike<number>) =>
        Array.from(a).reduce((p, v, i) => p + v * b[i]!, 0);
      const lhs = dot(ct.data, out.y.data);
      const rhs = xs.reduce((p, x, k) => {
        expect(out.grads[k]!.shape).toEqual(x.shape);
        return p + dot(out.grads[k]!.data, x.data);
      }, 0);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * (1 + Math.abs(lhs)));
    };

    it("slice (strided), pad, transpose, flip and concat", async () => {
      const arb = fc.tuple(shapeArb(1, 3), seedArb);
      await fc.assert(
        fc.asyncProperty(arb, async ([shape, seed]) => {
          const next = rng(seed);
          const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
          const x = randomNd(shape, seed);
          const begin = shape.map((d) => int(0, d));
          const end = shape.map((d, a) => int(begin[a]!, d));
          const attrs = { begin, end, step: shape.map(() => int(1, 3)) };
          await checkAdjoint("slice", [x], attrs, seed);
          await checkAdjoint(
            "pad",
            [x],
            { low: shape.map(() => int(0, 2)), high: shape.map(() => int(0, 2)), value: 0 },
            seed,
          );
          const perm = shape.map((_, i) => i).sort(() => next() - 0.5);
          await checkAdjoint("transpose", [x], { perm }, seed);
          await checkAdjoint(
            "flip",
            [x],
            { axes: shape.map((_, i) => i).filter(() => next() < 0.5) },
            seed,
          );
          const axis = int(0, shape.length - 1);
          const y = randomNd(
            shape.map((d, a) => (a === axis ? int(1, 3) : d)),
            seed + 1,
          );
          await checkAdjoint("concat", [x, y], { axis }, seed);
        }),
        { numRuns: 15 },
      );
    });
  });

  // ---------- reductions ----------

  describe("reductions against the plain-JS reference", () => {
    const arb = shapeArb(0, 4).chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        axes: fc.option(axesArb(shape.length), { nil: undefined }),
        keepdims: fc.boolean(),
        seed: seedArb,
      }),
    );

    it.each([
      ["sum", sum, fsum],
      ["max", max, fmax],
      ["min", min, fmin],
      ["mean", mean, fmean],
    ] as const)("%s over random axes, keepdims both ways", async (_, op, ref) => {
      await fc.assert(
        fc.asyncProperty(arb, async ({ shape, axes, keepdims, seed }) => {
          const x = randomNd(shape, seed);
          const all = shape.map((_d, i) => i);
          const want = refReduce(x, axes?.axes ?? all, keepdims, ref);
          expectClose(await run((t) => op(t, axes?.written, keepdims), [x]), want);
        }),
        RUNS,
      );
    });

    it("variance is the biased mean squared deviation", async () => {
      await fc.assert(
        fc.asyncProperty(arb, async ({ shape, axes, keepdims, seed }) => {
          const x = randomNd(shape, seed);
          const vr = (vs: number[]) => fmean(vs.map((v) => (v - fmean(vs)) ** 2));
          const want = refReduce(x, axes?.axes ?? shape.map((_d, i) => i), keepdims, vr);
          expectClose(
            await run((t) => variance(t, axes?.written, keepdims), [x]),
            want,
            1e-4,
            1e-4,
          );
        }),
        RUNS,
      );
    });

    it("mean over a symbolic batch dim counts it at run time", async () => {
      const f = compile(on.backend(), (x: Tree<Tensor>) => ({ y: mean(x as Tensor, 0) }), {
        shape: ["N", 3],
      });
      for (const n of [1, 4]) {
        const x = randomNd([n, 3], n);
        const out = (await f.run(hostTensor(x.data, x.shape))) as { y: HostTensor };
        expectClose(out.y, refReduce(x, [0], false, fmean));
      }
    });

    it("argmax picks the first of tied maxima", async () => {
      const arb2 = shapeArb(1, 3).chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
          seed: seedArb,
        }),
      );
      await fc.assert(
        fc.asyncProperty(arb2, async ({ shape, axis, seed }) => {
          const next = rng(seed);
          const x: Nd = {
            shape,
            data: Array.from({ length: numel(shape) }, () => Math.floor(next() * 3)),
          };
          const a = axis < 0 ? axis + shape.length : axis;
          const want = refReduce(x, [a], false, (vs) => vs.indexOf(fmax(vs)));
          const got = await run((t) => argmax(t, axis), [x]);
          expect(got.dtype).toBe("int32");
          expectExact(got, want);
        }),
        RUNS,
      );
      const x: Nd = { shape: [2, 3], data: [1, 3, 3, 2, 2, 0] };
      expectExact(await run((t) => argmax(t, 1), [x]), { shape: [2], data: [1, 0] });
      expectExact(await run((t) => argmax(t, 0), [x]), { shape: [3], data: [1, 0, 0] });
    });

    it("logSumExp stays finite at magnitude 1e4 and matches a float64 reference", async () => {
      await fc.assert(
        fc.asyncProperty(arb, async ({ shape, axes, keepdims, seed }) => {
          const next = rng(seed);
          const x: Nd = {
            shape,
            data: Array.from({ length: numel(shape) }, () => Math.fround((next() * 2 - 1) * 1e4)),
          };
          const lse = (vs: number[]) => {
            const m = fmax(vs);
            return m + Math.log(fsum(vs.map((v) => Math.exp(v - m))));
          };
          const want = refReduce(x, axes?.axes ?? shape.map((_d, i) => i), keepdims, lse);
          const got = await run((t) => logSumExp(t, axes?.written, keepdims), [x]);
          expect(Array.from(got.data).every(Number.isFinite)).toBe(true);
          expectClose(got, want, 1e-6, 1e-2);
        }),
        RUNS,
      );
    });

    it("logSumExp of a row of -inf is -inf, of a row with +inf is +inf", async () => {
      const x: Nd = { shape: [3, 2], data: [-Infinity, -Infinity, 1, Infinity, 0, Math.log(3)] };
      const got = await run((t) => logSumExp(t, 1), [x]);
      expect(got.data[0]).toBe(-Infinity);
      expect(got.data[1]).toBe(Infinity);
      expect(got.data[2]).toBeCloseTo(Math.log(4), 6);
    });
  });

  describe("reductions against TensorFlow.js", () => {
    const x = randomNd([3, 4, 5], 2024);
    const tx = () => tf.tensor(x.data, [...x.shape], "float32");
    const fromTf = async (t: tf.Tensor): Promise<Nd> => ({
      shape: t.shape,
      data: Array.from(await t.data()),
    });

    it("sum", async () => {
      expectClose(await run((t) => sum(t, [0, 2]), [x]), await fromTf(tf.sum(tx(), [0, 2])));
      expectClose(await run((t) => sum(t, -1, true), [x]), await fromTf(tf.sum(tx(), -1, true)));
    });
    it("max", async () => {
      expectClose(await run((t) => max(t, 1), [x]), await fromTf(tf.max(tx(), 1)));
    });
    it("mean", async () => {
      expectClose(
        await run((t) => mean(t, [1, 2], true), [x]),
        await fromTf(tf.mean(tx(), [1, 2], true)),
      );
      expectClose(await run((t) => mean(t), [x]), await fromTf(tf.mean(tx())));
    });
    it("argmax", async () => {
      const got = await run((t) => argmax(t, 1), [x]);
      expectExact(got, await fromTf(tf.argMax(tx(), 1)));
    });
  });
});
