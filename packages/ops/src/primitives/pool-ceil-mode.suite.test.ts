import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import type { Tensor } from "../index";
import { avgPool2d, grad, hostTensor, maxPool2d, mul, sum } from "../index";
import { ALL_BACKENDS, describeBackends, rng, runOn } from "@loom/testing";

// Pooling with ceilMode on every backend against PyTorch's semantics: a hand-computed case,
// then a plain-JS transcription of PyTorch's CPU kernels (output size, window bounds and the
// average's divisor) on random inputs, forward and gradient.

interface Pool {
  readonly h: number;
  readonly w: number;
  readonly k: number;
  readonly s: number;
  readonly p: number;
}

/** PyTorch's `pooling_output_shape` with ceil_mode. */
const outSize = (n: number, k: number, s: number, p: number): number => {
  const o = Math.floor((n + 2 * p - (k - 1) - 1 + (s - 1)) / s) + 1;
  return (o - 1) * s >= n + p ? o - 1 : o;
};

/** The windows along one axis as PyTorch's avg_pool2d computes them: clipped bounds and padded size. */
const windows = (n: number, k: number, s: number, p: number) =>
  Array.from({ length: outSize(n, k, s, p) }, (_, o) => {
    const start = o * s - p;
    const end = Math.min(start + k, n + p);
    return { lo: Math.max(start, 0), hi: Math.min(end, n), padded: end - start };
  });

/** max and average pooling of one `[h, w]` plane, and the average's gradient for a cotangent `ct`. */
const torchPool = (x: ArrayLike<number>, g: Pool, includePad: boolean, ct: ArrayLike<number>) => {
  const rows = windows(g.h, g.k, g.s, g.p);
  const cols = windows(g.w, g.k, g.s, g.p);
  const max: number[] = [];
  const avg: number[] = [];
  const dAvg = new Array<number>(g.h * g.w).fill(0);
  rows.forEach((r, i) =>
    cols.forEach((c, j) => {
      let m = -Infinity;
      let acc = 0;
      for (let a = r.lo; a < r.hi; a++) {
        for (let b = c.lo; b < c.hi; b++) {
          m = Math.max(m, x[a * g.w + b]!);
          acc += x[a * g.w + b]!;
        }
      }
      const div = includePad ? r.padded * c.padded : (r.hi - r.lo) * (c.hi - c.lo);
      max.push(m);
      avg.push(acc / div);
      const share = ct[i * cols.length + j]! / div;
      for (let a = r.lo; a < r.hi; a++)
        for (let b = c.lo; b < c.hi; b++) dAvg[a * g.w + b]! += share;
    }),
  );
  return { max, avg, dAvg, shape: [1, 1, rows.length, cols.length] };
};

const close = (got: ArrayLike<number>, want: readonly number[]) => {
  expect(got.length).toBe(want.length);
  const bad = want.findIndex((v, i) => !(Math.abs(got[i]! - v) <= 1e-6 * Math.max(1, Math.abs(v))));
  expect(bad, `element ${bad}: got ${got[bad]}, want ${want[bad]}`).toBe(-1);
};

const CASES: readonly Pool[] = [
  { h: 5, w: 5, k: 2, s: 2, p: 0 },
  { h: 6, w: 7, k: 3, s: 2, p: 1 },
  { h: 5, w: 8, k: 2, s: 3, p: 1 },
  { h: 9, w: 4, k: 3, s: 3, p: 1 },
  { h: 2, w: 3, k: 1, s: 2, p: 0 },
];

describeBackends(ALL_BACKENDS, (on) => {
  it("5x5, kernel 2, stride 2: 3x3 windows, the last ones clipped (hand-computed)", async () => {
    const x = hostTensor(
      Array.from({ length: 25 }, (_, i) => i + 1),
      [1, 1, 5, 5],
    );
    const out = (await runOn(
      on.backend(),
      ({ x: v }: { x: Tensor }) => ({
        max: maxPool2d(v, { kernel: 2, ceilMode: true }),
        avg: avgPool2d(v, { kernel: 2, ceilMode: true }),
      }),
      { x: { shape: [1, 1, 5, 5] } },
      { x },
    )) as Record<string, HostTensor>;
    expect(out["max"]!.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(out["max"]!.data)).toEqual([7, 9, 10, 17, 19, 20, 22, 24, 25]);
    expect(Array.from(out["avg"]!.data)).toEqual([4, 6, 7.5, 14, 16, 17.5, 21.5, 23.5, 25]);
  });

  describe.each(CASES)("%o", (g) => {
    it.each([true, false])("max and avg (countIncludePad %s) and avg's gradient", async (inc) => {
      const next = rng(g.h * 31 + g.w * 7 + g.k + (inc ? 1 : 0));
      const xs = Array.from({ length: g.h * g.w }, () => Math.round((next() * 2 - 1) * 64) / 8);
      const want0 = torchPool(xs, g, inc, []);
      const cts = Array.from({ length: want0.max.length }, () => Math.round(next() * 32) / 8);
      const want = torchPool(xs, g, inc, cts);
      const opts = { kernel: g.k, stride: g.s, padding: g.p, ceilMode: true };
      const avgOpts = { ...opts, countIncludePad: inc };
      const out = (await runOn(
        on.backend(),
        ({ x, c }: { x: Tensor; c: Tensor }) => ({
          max: maxPool2d(x, opts),
          avg: avgPool2d(x, avgOpts),
          dAvg: grad((v: Tensor) => sum(mul(avgPool2d(v, avgOpts), c)))(x),
        }),
        { x: { shape: [1, 1, g.h, g.w] }, c: { shape: want.shape } },
        { x: hostTensor(xs, [1, 1, g.h, g.w]), c: hostTensor(cts, want.shape) },
      )) as Record<string, HostTensor>;
      expect(out["max"]!.shape).toEqual(want.shape);
      close(out["max"]!.data, want.max);
      close(out["avg"]!.data, want.avg);
      close(out["dAvg"]!.data, want.dAvg);
    });
  });
});
