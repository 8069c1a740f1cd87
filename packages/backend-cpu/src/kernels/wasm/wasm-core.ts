/**
 * One thread's instance of the GEMM module and the GotoBLAS loops around its `block` kernel.
 * Self-contained (it refers to nothing outside its body but its argument and the `WebAssembly`
 * global), because pool workers build it from its source text: every thread instantiates the
 * same module against the same shared memory and runs these loops with pack buffers of its own.
 */

/**
 * The cache blocking: `kc` steps per packed block (a B panel, kc x 8 floats, stays in L1),
 * `mc` rows of A per packed block (mc x kc floats stay in L2), `nc` columns of B per block.
 */
export interface Blocking {
  readonly kc: number;
  readonly mc: number;
  readonly nc: number;
}

/** The module's exports. */
export interface GemmExports {
  readonly block: (
    mc: number,
    nc: number,
    kc: number,
    pa: number,
    pb: number,
    c: number,
    ldc: number,
    acc: number,
  ) => void;
  readonly pack: (
    src: number,
    rs: number,
    cs: number,
    rows: number,
    kc: number,
    dst: number,
    width: number,
  ) => void;
  readonly packRows: (src: number, ld: number, kc: number, nc: number, dst: number) => void;
}

/**
 * One GEMM call's operands, addresses and strides in floats: `C (+)= A * B` with A `m x k`
 * (element (i, p) at `a + i*aRs + p*aCs`), B `k x n` likewise, C at `c` with row stride `ldc`.
 */
export type GemmArgs = [
  m: number,
  n: number,
  k: number,
  a: number,
  aRs: number,
  aCs: number,
  b: number,
  bRs: number,
  bCs: number,
  c: number,
  ldc: number,
  accumulate: boolean,
];

/** A thread's GEMM: the instance's exports and the blocked product over them. */
export interface WasmCore {
  readonly ex: GemmExports;
  /**
   * `C (+)= A * B` in the memory (`GemmArgs`), C padded: `ldc >= roundUp(n, 8)` and
   * `roundUp(m, mr)` rows. `scratch` is where this thread's two pack
   * buffers start (`packFloats(blocking)` floats).
   */
  gemm(scratch: number, blocking: Blocking, ...args: GemmArgs): void;
}

/** Floats of one thread's pack buffers: an `mc x kc` A block and a `kc x nc` B block. */
export const packFloats = ({ kc, mc, nc }: Blocking): number => mc * kc + kc * nc;

/**
 * Instantiates `module` (whose register tile is `mr` rows) on `memory` and returns the blocked
 * GEMM over it.
 */
export const wasmCore = (
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  mr: number,
): WasmCore => {
  const ex = new WebAssembly.Instance(module, { env: { memory } })
    .exports as unknown as GemmExports;
  const MR = mr;
  const NR = 8;
  const { block, pack, packRows } = ex;
  const gemm: WasmCore["gemm"] = (scratch, blocking, ...args) => {
    const [m, n, k, a, aRs, aCs, b, bRs, bCs, c, ldc, accumulate] = args;
    const { kc: KC, mc: MC, nc: NC } = blocking;
    const PA = scratch;
    const PB = scratch + MC * KC;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const acc = accumulate || pc > 0 ? 1 : 0;
      for (let jc = 0; jc < n; jc += NC) {
        const nc = Math.min(NC, n - jc);
        const src = b + pc * bRs + jc * bCs;
        // Row-major B packs with whole vectors; the rest (and a transposed B) lane by lane,
        // B's columns being the rows of its transpose.
        const full = bCs === 1 ? nc - (nc % NR) : 0;
        if (full > 0) packRows(4 * src, bRs, kc, full, 4 * PB);
        if (full < nc)
          pack(4 * (src + full * bCs), bCs, bRs, nc - full, kc, 4 * (PB + full * kc), NR);
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          pack(4 * (a + ic * aRs + pc * aCs), aRs, aCs, mc, kc, 4 * PA, MR);
          block(mc, nc, kc, 4 * PA, 4 * PB, 4 * (c + ic * ldc + jc), 4 * ldc, acc);
        }
      }
    }
  };
  return { ex, gemm };
};
