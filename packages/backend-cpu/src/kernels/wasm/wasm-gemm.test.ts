import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gemmOperands, wasmProduct } from "../../testing/wasm-product";
import { WasmGemm, wasmSimdAvailable } from "./wasm-gemm";

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
          const ops = gemmOperands(m, n, k);
          const { A, B } = ops;
          const at = (i: number, p: number) => (ta ? A[p * m + i] : A[i * k + p]);
          const bt = (p: number, j: number) => (tb ? B[j * k + p] : B[p * n + j]);
          const want = naive(at, bt, m, n, k);
          const out = wasmProduct(g, [m, n, k], ta, tb, acc, ops);
          for (let i = 0; i < m * n; i++) {
            expect(Math.abs(out[i] - want[i] - (acc ? 1 : 0))).toBeLessThan(1e-5 * k);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
