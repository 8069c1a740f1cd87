import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { numel } from "@loom/graph";
import type { Tensor, TensorSpec } from "@loom/ops";
import {
  add,
  conv2d,
  gt,
  hostTensor,
  matmul,
  maximum,
  mul,
  reshape,
  select,
  sigmoid,
  tanh,
  transpose,
} from "@loom/ops";
import { compareWithCpu, randomTensor, rng } from "./testing/compare";
import type { V } from "./testing/random-programs";
import { grid, INT_MAX, isF, pick, step, v } from "./testing/random-programs";
import { webglBackend } from "./webgl-backend";

// Random programs (elementwise chains, broadcasts, movement ops, reductions, integer and bool
// ops; see testing/random-programs.ts) and random library kernels with random epilogues,
// fused by `compile`, on WebGL against the CPU backend: int32 and bool results bit for bit,
// float results within 1e-5 of the magnitudes involved.

const gl = webglBackend();
afterAll(() => gl.dispose());

/** Property runs per property (each compiles a few shaders). */
const RUNS = 40;

describe("random fused programs", () => {
  it("agree with the CPU backend", async () => {
    const arb = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
      drop: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      steps: fc.array(
        fc.record({ op: fc.nat(99), a: fc.nat(999), b: fc.nat(999), c: fc.nat(4095) }),
        {
          minLength: 1,
          maxLength: 10,
        },
      ),
      outs: fc.array(fc.nat(99), { maxLength: 3 }),
      seed: fc.nat(),
      extremes: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ shape, drop, steps, outs, seed, extremes }) => {
        const yShape = shape.slice(drop[0] ? 1 : 0).map((d, i) => (drop[i + 1] ? 1 : d));
        const scales: Record<string, number> = {};
        const fn = ({ x, y, k, m, j }: Record<string, Tensor>) => {
          const ints = extremes ? INT_MAX : 20;
          const pool: V[] = [v(x!, 4, 2), v(y!, 4, 2), v(k!, ints), v(m!, 1), v(j!, ints)];
          for (const s of steps) {
            const r = step(pool, s);
            pool.push(isF(r.t.dtype) && r.bound > 1e9 ? pool[pool.length - 1]! : r);
          }
          // The last value and a few intermediates, so that no difference is masked downstream.
          const chosen = [pool[pool.length - 1]!, ...outs.map((o) => pick(pool.slice(5), o))];
          chosen.forEach((c, i) => (scales[`o${i}`] = c.bound));
          return Object.fromEntries(chosen.map((c, i) => [`o${i}`, c.t]));
        };
        const r = rng(seed);
        const n = numel(shape);
        const feeds = {
          x: grid(shape, seed),
          y: grid(yShape, seed + 1),
          k: hostTensor(
            Array.from({ length: n }, (_, i) =>
              extremes && i % 3 === 0
                ? pick([2147483647, -2147483648, 0, -1], i)
                : Math.floor(r() * 41) - 20,
            ),
            shape,
            "int32",
          ),
          m: hostTensor(
            Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)),
            shape,
            "bool",
          ),
          j: hostTensor(
            Array.from({ length: numel(yShape) }, () => Math.floor(r() * 61) - 30),
            yShape,
            "int32",
          ),
        };
        const specs: Record<string, TensorSpec> = {
          x: { shape },
          y: { shape: yShape },
          k: { shape, dtype: "int32" },
          m: { shape, dtype: "bool" },
          j: { shape: yShape, dtype: "int32" },
        };
        const m = await compareWithCpu(gl, fn as never, specs, feeds, (name) => ({
          rtol: 1e-5,
          scale: scales[name] ?? 0,
        }));
        expect(m).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });
});

describe("random library kernels with random epilogues", () => {
  /** A random elementwise epilogue on an accumulator `z`, with a broadcast bias. */
  const epilogue = (z: Tensor, bias: Tensor, ops: readonly number[]): Tensor =>
    ops.reduce(
      (t, op) =>
        pick<(u: Tensor) => Tensor>(
          [
            (u) => add(u, bias),
            (u) => maximum(u, 0),
            (u) => tanh(u),
            (u) => mul(u, bias),
            (u) => sigmoid(u),
            (u) => select(gt(u, 0), u, mul(u, 0.1)),
          ],
          op,
        )(t),
      z,
    );

  it("matmul (batched, transposed operands)", async () => {
    const arb = fc.record({
      dims: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 4, maxLength: 4 }),
      ta: fc.boolean(),
      tb: fc.boolean(),
      ops: fc.array(fc.nat(11), { maxLength: 4 }),
      seed: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ dims: [b, m, k, n], ta, tb, ops, seed }) => {
        const sa = ta ? [b!, k!, m!] : [b!, m!, k!];
        const sb = tb ? [b!, n!, k!] : [b!, k!, n!];
        const fn = ({ a, w, c }: Record<string, Tensor>) => ({
          y: epilogue(
            matmul(ta ? transpose(a!, [0, 2, 1]) : a!, tb ? transpose(w!, [0, 2, 1]) : w!),
            c!,
            ops,
          ),
        });
        const specs = { a: { shape: sa }, w: { shape: sb }, c: { shape: [n!] } };
        const feeds = {
          a: randomTensor(sa, seed),
          w: randomTensor(sb, seed + 1),
          c: randomTensor([n!], seed + 2),
        };
        expect(
          await compareWithCpu(gl, fn as never, specs, feeds, { rtol: 1e-5, scale: k! }),
        ).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });

  it("conv2d (stride, padding, dilation, groups)", async () => {
    const arb = fc.record({
      n: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 2 }),
      cpg: fc.integer({ min: 1, max: 3 }),
      opg: fc.integer({ min: 1, max: 3 }),
      hw: fc.array(fc.integer({ min: 3, max: 8 }), { minLength: 2, maxLength: 2 }),
      k: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }),
      stride: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 2 }),
      dilation: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 2 }),
      pad: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
      ops: fc.array(fc.nat(11), { maxLength: 4 }),
      seed: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(arb, async (g) => {
        const [kh, kw] = g.k as [number, number];
        const eff = [g.dilation[0]! * (kh - 1) + 1, g.dilation[1]! * (kw - 1) + 1];
        const hw = g.hw.map((d, i) => Math.max(d, eff[i]!));
        const xs = [g.n, g.groups * g.cpg, hw[0]!, hw[1]!];
        const ws = [g.groups * g.opg, g.cpg, kh, kw];
        const o = ws[0]!;
        const opts = {
          stride: g.stride as [number, number],
          dilation: g.dilation as [number, number],
          padding: g.pad as [number, number, number, number],
          groups: g.groups,
        };
        const fn = ({ x, w, c }: Record<string, Tensor>) => ({
          y: epilogue(conv2d(x!, w!, opts), reshape(c!, [o, 1, 1]), g.ops),
        });
        const specs = { x: { shape: xs }, w: { shape: ws }, c: { shape: [o] } };
        const feeds = {
          x: randomTensor(xs, g.seed),
          w: randomTensor(ws, g.seed + 1),
          c: randomTensor([o], g.seed + 2),
        };
        const scale = g.cpg * kh * kw;
        expect(
          await compareWithCpu(gl, fn as never, specs, feeds, { rtol: 1e-5, scale }),
        ).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });
});
