import { GEMM_WASM_MR } from "./generated/gemm-wasm";
import { NR } from "./gemm-wat";
import type { resolveThreading } from "../parallel";
import { WASM_TASK } from "../parallel";
import { defaultThreads } from "../threads";
import type { Blocking, GemmArgs, GemmExports, WasmCore } from "./wasm-core";
import { packFloats, wasmCore } from "./wasm-core";
import { gemmModule, wasmThreadsAvailable } from "./modules";
import { WASM_GEMM_CODEC } from "./wasm-tasks";

export type { Blocking } from "./wasm-core";
export { relaxedSimdAvailable, wasmSimdAvailable, wasmThreadsAvailable } from "./modules";

/**
 * The JS side of the WebAssembly GEMM: the module's memory, this thread's instance
 * (wasm-core.ts) and the split of large calls between the pool's threads. Operands live in
 * the module's memory (callers copy them in with `put` or write them there directly):
 * addresses here are float offsets. The memory holds each thread's two pack buffers, then a
 * scratch heap that `alloc` hands out per call.
 */

/** Rows of the register tile. */
export const MR = GEMM_WASM_MR;

/** The default blocking (see docs/ARCHITECTURE.md): 8 KiB B panels, 128 KiB A blocks. */
export const BLOCKING: Blocking = { kc: 256, mc: 128, nc: 1024 };

/** `x` rounded up to a multiple of `q`. */
export const roundUp = (x: number, q: number): number => Math.ceil(x / q) * q;

/** How a `WasmGemm` splits its calls: the kernels' thread options, resolved (parallel.ts). */
export type WasmThreading = ReturnType<typeof resolveThreading>;

/**
 * A GEMM module instance, its memory and the views over it. With `threading` (more than one
 * thread, where the pool has a shared memory: `KernelPool.wasm`) it computes in the pool's
 * shared memory, whose workers each instantiate the module on it, and a large call is split
 * between them by blocks of C (wasm-tasks.ts); else in a private memory, every call on the
 * calling thread. The memory starts with one pair of pack buffers per thread, then the heap.
 */
export class WasmGemm {
  private readonly ex: GemmExports;
  private readonly core: WasmCore;
  private readonly memory: WebAssembly.Memory;
  private view: Float32Array;
  /** Where the heap starts (floats), after the threads' pack buffers. */
  private readonly heap: number;
  private top: number;
  /** Threads a call may be split between: 1 when the memory is not shared. */
  readonly threads: number;
  private readonly split: WasmThreading | undefined;
  private readonly params = new Int32Array(WASM_GEMM_CODEC.size);

  /**
   * Instantiates the module; `relaxed` takes the fused multiply-add build (check
   * `relaxedSimdAvailable`), `threading` the thread options to split calls by.
   */
  constructor(
    private readonly relaxed: boolean,
    private readonly blocking: Blocking = BLOCKING,
    threading?: WasmThreading,
  ) {
    // The pool never has more than defaultThreads() - 1 workers: no pack buffers for more.
    const want = threading === undefined ? 1 : Math.min(threading.threads, defaultThreads());
    const shared = want > 1 && wasmThreadsAvailable() ? threading?.pools.wasm() : undefined;
    this.threads = shared === undefined ? 1 : want;
    this.split = shared === undefined ? undefined : threading;
    this.heap = this.threads * packFloats(blocking);
    this.top = this.heap;
    this.memory = shared?.memory ?? new WebAssembly.Memory({ initial: 1 });
    this.core = wasmCore(gemmModule(relaxed, shared !== undefined), this.memory, MR);
    this.ex = this.core.ex;
    this.view = new Float32Array(this.memory.buffer);
    // The pack buffers are below the heap: make sure they exist before the first call.
    this.alloc(0);
  }

  /** The module's exports, for kernels that drive `block` with packing of their own (wasm-conv.ts). */
  get exports(): GemmExports {
    return this.ex;
  }

  /** The module's memory as floats (a new view after the memory grew). */
  get f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
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
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
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
   * and `roundUp(m, MR)` rows (the kernel writes whole tiles); k = 0 leaves C as it is. A call
   * of `threadFlops` or more is split between the threads (by blocks of the longer side of C).
   */
  gemm(...args: GemmArgs): void {
    const [m, n, k, a, aRs, aCs, b, bRs, bCs, c, ldc, accumulate] = args;
    const s = this.split;
    // Blocks of C across its longer side, two per thread (claimed as threads come free).
    const rows = m > n;
    const w = roundUp(Math.ceil((rows ? m : n) / (2 * this.threads)), rows ? MR : NR);
    const count = Math.ceil((rows ? m : n) / w);
    const pool =
      s !== undefined && count > 1 && 2 * m * n * k >= s.threadFlops ? s.pools.get() : undefined;
    if (pool === undefined || s === undefined || s.backoff.skipping()) {
      this.core.gemm(0, this.blocking, ...args);
      return;
    }
    const { relaxed } = this;
    const named = { m, n, k, a, aRs, aCs, b, bRs, bCs, c, ldc, accumulate };
    WASM_GEMM_CODEC.encode(this.params, { ...named, ...this.blocking, rows, w, relaxed });
    s.backoff.note(pool.run(WASM_TASK, this.params, [], count, this.threads - 1));
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
