import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MR, roundUp, WasmGemm, wasmSimdAvailable } from "./wasm-gemm";

/** `op(A) * op(B)` by the definition in float64, A `m x k`, B `k x n` given by accessors. */
const naive = (
  at: (i: number, p: number) => number,
  bt: (p: number, j: number) => number,
  m: number,
  n: number,
  k: number,
) => {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += at(i, p) * bt(p, j);
      c[i * n + j] = s;
    }
  }
  return c;
};

describe.runIf(wasmSimdAvailable())("WasmGemm", () => {
  // Both operands in both layouts, shapes across the tile (4x8) and block (KC = 256) edges.
  it("multiplies like the definition in every transposition, within float32 rounding", () => {
    const g = new WasmGemm(false);
    const dim = fc.integer({ min: 1, max: 40 });
    fc.assert(
      fc.property(
        dim,
        dim,
        fc.integer({ min: 1, max: 600 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (m, n, k, ta, tb, acc) => {
          const A = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i + 1));
          const B = Float32Array.from({ length: k * n }, (_, i) => Math.cos(3 * i));
          const at = (i: number, p: number) => (ta ? A[p * m + i] : A[i * k + p]);
          const bt = (p: number, j: number) => (tb ? B[j * k + p] : B[p * n + j]);
          const want = naive(at, bt, m, n, k);
          g.reset();
          const a = g.put(A, 0, A.length);
          const b = g.put(B, 0, B.length);
          const ldc = roundUp(n, 8);
          const c = g.alloc(roundUp(m, MR) * ldc);
          g.f32.fill(1, c, c + roundUp(m, MR) * ldc);
          const [aRs, aCs] = ta ? [1, m] : [k, 1];
          const [bRs, bCs] = tb ? [1, k] : [n, 1];
          g.gemm(m, n, k, a, aRs, aCs, b, bRs, bCs, c, ldc, acc);
          const out = new Float32Array(m * n);
          g.take(c, ldc, m, n, out, 0);
          for (let i = 0; i < m * n; i++) {
            expect(Math.abs(out[i] - want[i] - (acc ? 1 : 0))).toBeLessThan(1e-5 * k);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
