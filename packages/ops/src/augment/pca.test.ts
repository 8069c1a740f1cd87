import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jacobiEigen, rgbPca } from "./pca";

/** An orthonormal basis of R^3: Gram-Schmidt of three generic vectors. */
const basis = (vs: number[][]): number[][] => {
  const out: number[][] = [];
  for (const v of vs) {
    let u = [...v];
    for (const b of out) {
      const d = u.reduce((s, e, i) => s + e * b[i]!, 0);
      u = u.map((e, i) => e - d * b[i]!);
    }
    const n = Math.hypot(...u);
    out.push(u.map((e) => e / n));
  }
  return out;
};

describe("rgbPca", () => {
  it("recovers the eigenpairs of a known covariance", () => {
    // Pixels mean + sum_i sqrt(lambda_i) q_i s_i with s_i orthogonal ±1 patterns of zero mean
    // (Hadamard rows) have population covariance exactly sum_i lambda_i q_i q_i^T.
    const q = basis([
      [1, 2, 0.5],
      [-1, 0.3, 2],
      [0.2, -1, 1],
    ]);
    const lambdas = [0.09, 0.02, 0.005];
    const mean = [0.5, 0.4, 0.3];
    const patterns = [
      [1, -1, 1, -1, 1, -1, 1, -1],
      [1, 1, -1, -1, 1, 1, -1, -1],
      [1, -1, -1, 1, 1, -1, -1, 1],
    ];
    // Two images of 2x2 pixels: pixel p of image k is pattern index 4k + p.
    const data = new Float32Array(2 * 3 * 4);
    for (let k = 0; k < 2; k++)
      for (let c = 0; c < 3; c++)
        for (let p = 0; p < 4; p++) {
          const j = 4 * k + p;
          data[(k * 3 + c) * 4 + p] =
            mean[c]! +
            lambdas.reduce((s, l, i) => s + Math.sqrt(l) * q[i]![c]! * patterns[i]![j]!, 0);
        }
    const pca = rgbPca(data, 2, 2, 2);
    // float32 storage of the pixels bounds the accuracy at about 1e-7 of their size.
    pca.eigvals.forEach((l, i) => expect(l).toBeCloseTo(lambdas[i]!, 6));
    pca.mean.forEach((m, i) => expect(m).toBeCloseTo(mean[i]!, 6));
    pca.eigvecs.forEach((v, i) => {
      const dot = v.reduce((s, e, c) => s + e * q[i]![c]!, 0);
      expect(Math.abs(dot)).toBeCloseTo(1, 5);
      expect(Math.max(...v.map(Math.abs))).toBe(Math.max(...v)); // sign convention
    });
  });

  it("refuses data that does not fill count RGB images", () => {
    expect(() => rgbPca(new Float32Array(10), 1, 2, 2)).toThrow(/count \* 3 \* h \* w/);
  });
});

describe("jacobiEigen", () => {
  it("diagonalises random symmetric matrices: A v = lambda v with orthonormal v", () => {
    const entry = fc.double({ min: -10, max: 10, noNaN: true });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(entry, { minLength: 25, maxLength: 25 }),
        (n, xs) => {
          const a = Array.from({ length: n }, (_, i) =>
            Array.from({ length: n }, (__, j) => xs[Math.min(i, j) * 5 + Math.max(i, j)]!),
          );
          const { values, v } = jacobiEigen(a);
          const scale = 1 + Math.max(...a.flat().map(Math.abs));
          for (let k = 0; k < n; k++) {
            for (let i = 0; i < n; i++) {
              const av = a[i]!.reduce((s, e, j) => s + e * v[j]![k]!, 0);
              expect(Math.abs(av - values[k]! * v[i]![k]!)).toBeLessThan(1e-9 * scale);
            }
            for (let l = 0; l < n; l++) {
              const d = v.reduce((s, row) => s + row[k]! * row[l]!, 0);
              expect(Math.abs(d - (k === l ? 1 : 0))).toBeLessThan(1e-12);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
