import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Tensor } from "@loom/ops";
import {
  add,
  conv2d,
  gt,
  matmul,
  maximum,
  mul,
  reshape,
  select,
  sigmoid,
  tanh,
  transpose,
} from "@loom/ops";
import {
  ALL_BACKENDS,
  compareWithReference,
  describeBackends,
  fuzzRuns,
  pick,
  randomFloat32,
} from "@loom/testing";

// Random library kernels (batched and transposed matmuls, convolutions with stride, padding,
// dilation and groups) with random elementwise epilogues that fusion merges into them, on
// every backend against the unfused reference interpreter: within 1e-5 of the magnitude of
// the accumulation (its length).

/** Property runs per property (each compiles a few kernels). */
const RUNS = fuzzRuns(40);

describe("random library kernels with random epilogues", () => {
  describeBackends(ALL_BACKENDS, (on) => {
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
            a: randomFloat32(sa, seed),
            w: randomFloat32(sb, seed + 1),
            c: randomFloat32([n!], seed + 2),
          };
          expect(
            await compareWithReference(on.backend(), fn as never, specs, feeds, {
              rtol: 1e-5,
              scale: k!,
            }),
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
            x: randomFloat32(xs, g.seed),
            w: randomFloat32(ws, g.seed + 1),
            c: randomFloat32([o], g.seed + 2),
          };
          const scale = g.cpg * kh * kw;
          expect(
            await compareWithReference(on.backend(), fn as never, specs, feeds, {
              rtol: 1e-5,
              scale,
            }),
          ).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
    });
  });
});
