/**
 * The blocked GEMM core shared by matmul and the convolutions: `C (+)= A * B` in the GotoBLAS
 * layout. B is packed into NR-wide column panels of at most KC rows, A into MR-tall row panels,
 * and a 4x4 micro-kernel keeps its 16 accumulators in local variables while it streams both
 * packed panels contiguously. A is any strided matrix (a transposed operand is only a swap of
 * its two strides, never a copy); B comes from a `BPacker`, so convolutions pack image patches
 * straight from the input (implicit im2col) instead of materialising the im2col matrix.
 * Packing converts to float64: the hot loop reads one array type whatever the dtype, and
 * accumulates in float64 like the reference kernels.
 */

/** The float arrays the kernels read and write. */
export type FloatArray = Float32Array | Float64Array;

/**
 * A source of B: fills `dst` with rows `[p0, p0+kc)` and columns `[j0, j0+nc)` of B as NR-wide
 * panels, `dst[(j - j0)*kc + (p - p0)*NR + j%NR] = B(p, j)` (for j0 a multiple of NR), with
 * the columns past the last one zero.
 */
export interface BPacker {
  pack(dst: Float64Array, p0: number, kc: number, j0: number, nc: number): void;
}

/**
 * The GEMM core as one self-contained function: it refers to nothing outside its own body (only
 * types), so that its source text (`gemmCore.toString()`) can be evaluated in a worker thread
 * (threads.ts) and both threads run the same code. Call it once per thread. `generate` false
 * takes the tiles' fallback, as where a Content-Security-Policy forbids `new Function` (tests).
 */
export const gemmCore = (generate = true) => {
  /** Rows of A per micro-tile. */
  const MR = 4;
  /** Columns of B per micro-tile. */
  const NR = 4;
  /** Depth of one packed block: a 4xKC panel of A and one of B sit in L1 together. */
  const KC = 256;
  /** Rows of A per packed block (the MC x KC block of A stays in L2). */
  const MC = 128;
  /** Columns of B per packed block. */
  const NC = 1024;

  // The packing buffers are constants of a size fixed by the blocking, not per-kernel scratch:
  // V8 then embeds their address and length in the micro-kernel's machine code instead of
  // reloading a typed array's map, length and data pointer on every iteration (it cannot hoist
  // those loads past the loop's interrupt check), about 25% of the throughput. That holds for
  // the constants of a closure created once per thread as for module constants (V8 specialises
  // a function created once on its context), so `gemmCore` must run once per thread. Sharing
  // them is safe because kernels run synchronously and never re-enter. The direct convolution
  // kernels borrow both (conv-direct.ts) when no GEMM is running.

  const PA = new Float64Array(1 << 16);
  const PB = new Float64Array(KC * NC);

  /** A grow-only float64 buffer of at least `n` elements: steady-state calls allocate nothing. */
  const growF64 = (buf: Float64Array, n: number): Float64Array =>
    buf.length >= n ? buf : new Float64Array(Math.max(n, Math.ceil(buf.length * 1.5)));

  /** A grow-only int32 buffer of at least `n` elements. */
  const growI32 = (buf: Int32Array, n: number): Int32Array =>
    buf.length >= n ? buf : new Int32Array(Math.max(n, Math.ceil(buf.length * 1.5)));

  /** B as a strided matrix: element (p, j) at `data[off + p*rs + j*cs]`. */
  class StridedB implements BPacker {
    private data: FloatArray = new Float64Array(0);
    private off = 0;
    private rs = 0;
    private cs = 0;

    /** Points the packer at a matrix for the next GEMM calls. */
    set(data: FloatArray, off: number, rs: number, cs: number): this {
      this.data = data;
      this.off = off;
      this.rs = rs;
      this.cs = cs;
      return this;
    }

    /** Drops the reference to the caller's array (kernels keep none between calls). */
    release(): void {
      this.data = new Float64Array(0);
    }

    pack(dst: Float64Array, p0: number, kc: number, j0: number, nc: number): void {
      const { data: b, rs, cs } = this;
      const c2 = 2 * cs;
      const c3 = 3 * cs;
      let q = 0;
      for (let jp = 0; jp < nc; jp += NR) {
        const base = this.off + p0 * rs + (j0 + jp) * cs;
        const cols = nc - jp;
        if (cols >= NR) {
          for (let p = 0, s = base; p < kc; p++, s += rs) {
            dst[q] = b[s];
            dst[q + 1] = b[s + cs];
            dst[q + 2] = b[s + c2];
            dst[q + 3] = b[s + c3];
            q += NR;
          }
        } else {
          for (let p = 0; p < kc; p++) {
            for (let jj = 0; jj < NR; jj++) dst[q++] = jj < cols ? b[base + p * rs + jj * cs] : 0;
          }
        }
      }
    }
  }

  /**
   * Packs the `mc x kc` block of A at `off` (element (i, p) at `off + i*rs + p*cs`) into MR-tall
   * panels, `PA[i0*kc + p*MR + ii] = A(i0+ii, p)`, with the rows past `mc` zero.
   */
  const packA = (a: FloatArray, off: number, rs: number, cs: number, mc: number, kc: number) => {
    const r2 = 2 * rs;
    const r3 = 3 * rs;
    let q = 0;
    for (let i0 = 0; i0 < mc; i0 += MR) {
      const base = off + i0 * rs;
      const rows = mc - i0;
      if (rows >= MR) {
        for (let p = 0, s = base; p < kc; p++, s += cs) {
          PA[q] = a[s];
          PA[q + 1] = a[s + rs];
          PA[q + 2] = a[s + r2];
          PA[q + 3] = a[s + r3];
          q += MR;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let ii = 0; ii < MR; ii++) PA[q++] = ii < rows ? a[base + ii * rs + p * cs] : 0;
        }
      }
    }
  };

  /** The accumulators of the last micro-tile, for edge tiles. */
  const TILE = new Float64Array(MR * NR);

  /** Writes (or adds) the top-left `rows x cols` of TILE into C at `co` with row stride `ldc`. */
  const storeEdge = (
    c: FloatArray,
    co: number,
    ldc: number,
    rows: number,
    cols: number,
    accumulate: boolean,
  ) => {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const o = co + i * ldc + j;
        c[o] = accumulate ? c[o] + TILE[i * NR + j] : TILE[i * NR + j];
      }
    }
  };

  /** The 16 (row, column) pairs of a 4x4 tile, row-major. */
  const IJ = [0, 1, 2, 3].flatMap((i) => [0, 1, 2, 3].map((j) => [i, j] as const));
  /** One line of source per tile element. */
  const each = (line: (i: number, j: number, n: number) => string): string =>
    IJ.map(([i, j], n) => line(i, j, n)).join("\n");
  /** Source that copies the 16 accumulators into TILE. */
  const toTile = each((i, j, n) => `TILE[${n}] = c${i}${j};`);

  /**
   * TILE = A-panel at `ia` x B over `kc` steps, B given by `bAt`: what a compiled tile computes,
   * for runtimes whose Content-Security-Policy forbids `new Function` (about 3x slower).
   */
  const tileGeneric = (kc: number, ia: number, bAt: (p: number, j: number) => number) => {
    TILE.fill(0);
    for (let p = 0; p < kc; p++, ia += MR) {
      for (let n = 0; n < MR * NR; n++) TILE[n] += PA[ia + (n >> 2)] * bAt(p, n & 3);
    }
  };

  /**
   * Compiles a 4x4 register tile from one template: 16 accumulator locals, and a loop of `kc`
   * steps that loads `a0..a3` from the A panel `PA[ia..]` (stepping `ia` by 4), `b0..b3` by
   * `bLoad` (then `bStep`), and multiply-adds; then `store`. Every tile of the GEMM and the
   * direct convolutions comes from here: V8 keeps the accumulators in registers only as named
   * locals (as arrays passed in they cost 20-25%), so the tiles are generated rather than
   * written out twice. `consts` become constants of the tile's closure, which V8 embeds in its
   * machine code (see PA above). Without `new Function` (CSP) `fallback` is used.
   */
  const compileTile = <F>(
    consts: Record<string, unknown>,
    params: string,
    bLoad: string,
    bStep: string,
    store: string,
    fallback: F,
  ): F => {
    const src = `return (kc, ia, ${params}) => {
      ${each((i, j) => `let c${i}${j} = 0;`)}
      for (let p = 0; p < kc; p++) {
        const a0 = PA[ia]; const a1 = PA[(ia + 1) | 0]; const a2 = PA[(ia + 2) | 0]; const a3 = PA[(ia + 3) | 0];
        ${bLoad}
        ${each((i, j) => `c${i}${j} += a${i} * b${j};`)}
        ia = (ia + 4) | 0;
        ${bStep}
      }
      ${store}
    };`;
    const all = { PA, TILE, ...consts };
    if (!generate) return fallback;
    try {
      return new Function(...Object.keys(all), src)(...Object.values(all)) as F;
    } catch {
      return fallback;
    }
  };

  /** Full-tile stores into C at rows `co, o1, o2, o3`, adding to C or overwriting it. */
  const storeFull = (op: string) =>
    each((i, j) => `c[${i === 0 ? "co" : `o${i}`} + ${j}] ${op} c${i}${j};`);

  /**
   * The 4x4 micro-kernel, the one packed-panel tile of the GEMM and the direct input gradient
   * (which passes `TILE` as C): `C[0:rows, 0:cols] (+)= A-panel * B-panel` over `kc` steps,
   * the panels at `PA[ia..]` and `PB[ib..]`. It reads the pack buffers themselves, not arrays
   * passed in: V8 then embeds their addresses (see above); with the arrays as arguments the
   * GEMM ran 20% slower. Indices are wrapped with `| 0` so V8 drops the overflow checks (the
   * bounds checks still guard every load).
   */
  const micro = compileTile<
    (
      kc: number,
      ia: number,
      ib: number,
      c: FloatArray,
      co: number,
      ldc: number,
      rows: number,
      cols: number,
      accumulate: boolean,
    ) => void
  >(
    { PB, storeEdge },
    "ib, c, co, ldc, rows, cols, accumulate",
    "const b0 = PB[ib]; const b1 = PB[(ib + 1) | 0]; const b2 = PB[(ib + 2) | 0]; const b3 = PB[(ib + 3) | 0];",
    "ib = (ib + 4) | 0;",
    `if (rows === 4 && cols === 4) {
      const o1 = co + ldc; const o2 = o1 + ldc; const o3 = o2 + ldc;
      if (accumulate) { ${storeFull("+=")} } else { ${storeFull("=")} }
      return;
    }
    ${toTile}
    storeEdge(c, co, ldc, rows, cols, accumulate);`,
    (kc, ia, ib, c, co, ldc, rows, cols, accumulate) => {
      tileGeneric(kc, ia, (p, j) => PB[ib + p * NR + j]);
      storeEdge(c, co, ldc, rows, cols, accumulate);
    },
  );

  /**
   * `C (+)= A * B` with A `m x k` (element (i, p) at `a[aOff + i*aRs + p*aCs]`), B `k x n` from
   * `b`, and C row-major at `cOff` with row stride `ldc`. With `accumulate` false C is
   * overwritten (and k = 0 writes zeros).
   */
  const gemm = (
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    aOff: number,
    aRs: number,
    aCs: number,
    b: BPacker,
    c: FloatArray,
    cOff: number,
    ldc: number,
    accumulate: boolean,
  ): void => {
    if (m === 0 || n === 0) return;
    if (k === 0) {
      if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
      return;
    }
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const acc = accumulate || pc > 0;
      for (let jc = 0; jc < n; jc += NC) {
        const nc = Math.min(NC, n - jc);
        b.pack(PB, pc, kc, jc, nc);
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          packA(a, aOff + ic * aRs + pc * aCs, aRs, aCs, mc, kc);
          const co = cOff + ic * ldc + jc;
          for (let j0 = 0; j0 < nc; j0 += NR) {
            const cols = Math.min(NR, nc - j0);
            for (let i0 = 0; i0 < mc; i0 += MR) {
              const rows = Math.min(MR, mc - i0);
              micro(kc, i0 * kc, j0 * kc, c, co + i0 * ldc + j0, ldc, rows, cols, acc);
            }
          }
        }
      }
    }
  };

  return {
    PACK_A: PA,
    PACK_B: PB,
    TILE,
    micro,
    storeEdge,
    compileTile,
    toTile,
    tileGeneric,
    StridedB,
    gemm,
    growF64,
    growI32,
  };
};

/** One thread's GEMM core, as `gemmCore` returns it. */
export type GemmCore = ReturnType<typeof gemmCore>;

/** This thread's GEMM core: every kernel on the main thread shares it (and its pack buffers). */
export const CORE: GemmCore = gemmCore();

/** Packed A panels: the GEMM uses the first MC*KC elements. */
export const PACK_A: Float64Array = CORE.PACK_A;
/** Packed B panels (KC*NC elements). */
export const PACK_B: Float64Array = CORE.PACK_B;
/** B as a strided matrix (see `gemmCore`). */
export const StridedB = CORE.StridedB;
/** An instance of `StridedB`. */
export type StridedB = InstanceType<typeof StridedB>;
/** `C (+)= A * B` (see `gemmCore`). */
export const gemm: GemmCore["gemm"] = CORE.gemm;
/** A grow-only float64 buffer of at least `n` elements: steady-state calls allocate nothing. */
export const growF64: GemmCore["growF64"] = CORE.growF64;
/** A grow-only int32 buffer of at least `n` elements. */
export const growI32: GemmCore["growI32"] = CORE.growI32;
