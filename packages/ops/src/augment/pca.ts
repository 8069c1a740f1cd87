import { LoomError } from "@loom/graph";

/** The principal components of a dataset's RGB pixels, for `pcaJitter`. */
export type RgbPca = {
  /** Eigenvalues of the 3x3 covariance, largest first. */
  eigvals: number[];
  /** Unit eigenvectors, one per row, matching `eigvals`; each with a non-negative largest component. */
  eigvecs: number[][];
  /** Mean of each channel. */
  mean: number[];
};

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: each rotation zeroes
 * one off-diagonal entry; sweeps repeat until the off-diagonal mass is negligible. Exact to
 * rounding for small matrices and needs no library. Returns eigenvalues and eigenvectors as
 * the columns of `v`.
 */
export const jacobiEigen = (
  a: readonly (readonly number[])[],
): { values: number[]; v: number[][] } => {
  const n = a.length;
  const m = a.map((row) => [...row]);
  const v: number[][] = m.map((_, i) => m.map((__, j) => (i === j ? 1 : 0)));
  const off = () => {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) s += m[i]![j]! ** 2;
    return s;
  };
  const scale = m.reduce((s, row) => row.reduce((t, e) => t + e * e, s), 0);
  for (let sweep = 0; sweep < 100 && off() > 1e-30 * scale; sweep++) {
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p]![q]!;
        if (apq === 0) continue;
        // The rotation angle that zeroes m[p][q] (Numerical Recipes' stable form).
        const theta = (m[q]![q]! - m[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k]![p]!;
          const mkq = m[k]![q]!;
          m[k]![p] = c * mkp - s * mkq;
          m[k]![q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p]![k]!;
          const mqk = m[q]![k]!;
          m[p]![k] = c * mpk - s * mqk;
          m[q]![k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: m.map((row, i) => row[i]!), v };
};

/**
 * The mean, and the eigenvalues and eigenvectors of the (population) covariance, of the RGB
 * pixels of `count` images stored NCHW in `images` (`count * 3 * h * w` values). Accumulates in
 * float64, centring on the mean first so that large datasets keep their precision.
 */
export const rgbPca = (images: Float32Array, count: number, h: number, w: number): RgbPca => {
  const plane = h * w;
  if (
    ![count, h, w].every((d) => Number.isInteger(d) && d > 0) ||
    images.length !== count * 3 * plane
  ) {
    throw new LoomError(
      "invalid_argument",
      "rgbPca",
      `needs count * 3 * h * w values for ${count} RGB images of ${h}x${w}, got ${images.length}`,
    );
  }
  const pixels = count * plane;
  const mean = [0, 0, 0];
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < 3; c++) {
      const base = (i * 3 + c) * plane;
      let s = 0;
      for (let p = 0; p < plane; p++) s += images[base + p]!;
      mean[c]! += s;
    }
  }
  for (let c = 0; c < 3; c++) mean[c]! /= pixels;
  const cov = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (let i = 0; i < count; i++) {
    const base = i * 3 * plane;
    for (let p = 0; p < plane; p++) {
      const r = images[base + p]! - mean[0]!;
      const g = images[base + plane + p]! - mean[1]!;
      const b = images[base + 2 * plane + p]! - mean[2]!;
      cov[0]![0]! += r * r;
      cov[0]![1]! += r * g;
      cov[0]![2]! += r * b;
      cov[1]![1]! += g * g;
      cov[1]![2]! += g * b;
      cov[2]![2]! += b * b;
    }
  }
  for (let i = 0; i < 3; i++) {
    for (let j = i; j < 3; j++) {
      cov[i]![j]! /= pixels;
      cov[j]![i] = cov[i]![j]!;
    }
  }
  const { values, v } = jacobiEigen(cov);
  const order = [0, 1, 2].sort((a, b) => values[b]! - values[a]!);
  const eigvecs = order.map((j) => {
    const vec = [0, 1, 2].map((i) => v[i]![j]!);
    const big = vec.reduce((best, e) => (Math.abs(e) > Math.abs(best) ? e : best), 0);
    return big < 0 ? vec.map((e) => -e) : vec;
  });
  return { eigvals: order.map((j) => values[j]!), eigvecs, mean };
};
