import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gemmCore } from "./gemm";

/** `A * B` by the definition, A `m x k` and B `k x n` row-major. */
const naive = (a: Float64Array, b: Float64Array, m: number, n: number, k: number) => {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
};

describe("gemmCore", () => {
  // The generated tiles (new Function) and the fallback for CSP-restricted pages compute the same
  // product; both are checked against the definition, edge tiles and k blocks included.
  it.each([true, false])("generate=%s multiplies like the definition", (generate) => {
    const core = gemmCore(generate);
    const dims = fc.integer({ min: 1, max: 40 });
    fc.assert(
      fc.property(dims, dims, fc.integer({ min: 1, max: 300 }), fc.boolean(), (m, n, k, acc) => {
        const a = Float64Array.from({ length: m * k }, (_, i) => Math.sin(i + 1));
        const b = Float64Array.from({ length: k * n }, (_, i) => Math.cos(3 * i));
        const c = Float64Array.from({ length: m * n }, (_, i) => i % 7);
        const want = naive(a, b, m, n, k).map((v, i) => (acc ? v + c[i] : v));
        core.gemm(m, n, k, a, 0, k, 1, new core.StridedB().set(b, 0, n, 1), c, 0, n, acc);
        for (let i = 0; i < m * n; i++) expect(c[i]).toBeCloseTo(want[i], 9);
      }),
      { numRuns: 25 },
    );
  });
});
