import type { WasmGemm } from "../kernels/wasm/wasm-gemm";
import { MR, roundUp } from "../kernels/wasm/wasm-gemm";

/** The operands of a GEMM test case, `m x k` and `k x n` (stored transposed where asked). */
export interface GemmOperands {
  readonly A: Float32Array;
  readonly B: Float32Array;
}

/** Deterministic operands for an `m x n x k` product. */
export const gemmOperands = (m: number, n: number, k: number): GemmOperands => ({
  A: Float32Array.from({ length: m * k }, (_, i) => Math.sin(i + 1)),
  B: Float32Array.from({ length: k * n }, (_, i) => Math.cos(3 * i)),
});

/**
 * `op(A) * op(B)` on `g` (A stored `k x m` if `ta`, B `n x k` if `tb`), plus 1 in every
 * element when accumulating onto C's 1s, as a packed `m x n` array.
 */
export const wasmProduct = (
  g: WasmGemm,
  [m, n, k]: readonly [number, number, number],
  ta: boolean,
  tb: boolean,
  acc: boolean,
  { A, B }: GemmOperands = gemmOperands(m, n, k),
): Float32Array => {
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
  return out;
};
