import { GEMM_WASM, GEMM_WASM_MR, GEMM_WASM_RELAXED } from "./generated/gemm-wasm";
import { NR } from "./gemm-wat";

/**
 * The JS side of the WebAssembly GEMM: one instance of the module (its own linear memory) and
 * the GotoBLAS loops around its `block` kernel. Operands live in the module's memory (callers
 * copy them in with `put` or write them there directly): addresses here are float offsets.
 * The memory holds the two pack buffers, then a scratch heap that `alloc` hands out per call.
 */

/** Rows of the register tile. */
export const MR = GEMM_WASM_MR;
/**
 * The cache blocking: `kc` steps per packed block (a B panel, kc x 8 floats, stays in L1),
 * `mc` rows of A per packed block (mc x kc floats stay in L2), `nc` columns of B per block.
 */
export interface Blocking {
  readonly kc: number;
  readonly mc: number;
  readonly nc: number;
}

/** The default blocking (see docs/ARCHITECTURE.md): 8 KiB B panels, 128 KiB A blocks. */
export const BLOCKING: Blocking = { kc: 256, mc: 128, nc: 1024 };

/** The module's GEMM exports. */
export interface GemmExports {
  readonly memory: WebAssembly.Memory;
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

const decode = (b64: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));

/** Whether this runtime runs WebAssembly SIMD (it validates the GEMM module). */
export const wasmSimdAvailable = (): boolean =>
  typeof WebAssembly === "object" && WebAssembly.validate(decode(GEMM_WASM));

/** Whether this runtime has relaxed SIMD's fused multiply-add. */
export const relaxedSimdAvailable = (): boolean =>
  typeof WebAssembly === "object" && WebAssembly.validate(decode(GEMM_WASM_RELAXED));

/** `x` rounded up to a multiple of `q`. */
export const roundUp = (x: number, q: number): number => Math.ceil(x / q) * q;

/** A GEMM module instance and the views over its memory. */
export class WasmGemm {
  private readonly ex: GemmExports;
  private view: Float32Array;
  /** Where the B pack buffer and the heap start (floats; the A pack buffer is at 0). */
  private readonly pb: number;
  private readonly heap: number;
  private top: number;

  /** Instantiates the module; `relaxed` takes the fused multiply-add build (check `relaxedSimdAvailable`). */
  constructor(
    relaxed: boolean,
    private readonly blocking: Blocking = BLOCKING,
  ) {
    this.pb = blocking.mc * blocking.kc;
    this.heap = this.pb + blocking.kc * blocking.nc;
    this.top = this.heap;
    const mod = new WebAssembly.Module(decode(relaxed ? GEMM_WASM_RELAXED : GEMM_WASM));
    this.ex = new WebAssembly.Instance(mod, {}).exports as unknown as GemmExports;
    this.view = new Float32Array(this.ex.memory.buffer);
  }

  /** The module's exports, for kernels that drive `block` with packing of their own (wasm-conv.ts). */
  get exports(): GemmExports {
    return this.ex;
  }

  /** The module's memory as floats (a new view after the memory grew). */
  get f32(): Float32Array {
    if (this.view.buffer !== this.ex.memory.buffer)
      this.view = new Float32Array(this.ex.memory.buffer);
    return this.view;
  }

  /** Frees the whole heap: every call starts with it, so scratch never outlives a kernel call. */
  reset(): this {
    this.top = this.heap;
    return this;
  }

  /** A heap region of `n` floats (16-byte aligned), growing the memory as needed. */
  alloc(n: number): number {
    const at = this.top;
    this.top = roundUp(at + n, 4);
    const bytes = this.top * 4;
    const have = this.ex.memory.buffer.byteLength;
    if (bytes > have) this.ex.memory.grow(Math.ceil((bytes - have) / 65536));
    return at;
  }

  /** Copies `n` floats of `src` from `off` into a new heap region; returns its address. */
  put(src: Float32Array, off: number, n: number): number {
    const at = this.alloc(n);
    this.f32.set(src.subarray(off, off + n), at);
    return at;
  }

  /**
   * `C (+)= A * B` in the module's memory: A `m x k` (element (i, p) at `a + i*aRs + p*aCs`), B
   * `k x n` likewise, C at `c` with row stride `ldc`. C must be padded: `ldc >= roundUp(n, 8)`
   * and `roundUp(m, MR)` rows (the kernel writes whole tiles); k = 0 leaves C as it is.
   */
  gemm(
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
  ): void {
    const { block, pack, packRows } = this.ex;
    const { kc: KC, mc: MC, nc: NC } = this.blocking;
    const PA = 0;
    const PB = this.pb;
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
  }

  /** Copies the `rows x cols` block at `src` (row stride `ld`) out to `dst` at `off`, rows packed. */
  take(src: number, ld: number, rows: number, cols: number, dst: Float32Array, off: number): void {
    const f = this.f32;
    if (ld === cols) {
      dst.set(f.subarray(src, src + rows * cols), off);
      return;
    }
    for (let i = 0; i < rows; i++)
      dst.set(f.subarray(src + i * ld, src + i * ld + cols), off + i * cols);
  }
}
