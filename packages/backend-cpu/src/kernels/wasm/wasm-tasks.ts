import type { ParamCodec, TaskParams } from "../param-codec";
import { paramCodec } from "../param-codec";
import type { ChunkTask } from "../threads";
import { GEMM_WASM_MR } from "./generated/gemm-wasm";
import { SHARED_MAX_PAGES } from "./gemm-wat";
import type { WasmCore } from "./wasm-core";
import { wasmCore } from "./wasm-core";
import { gemmModule, relaxedSimdAvailable, wasmThreadsAvailable } from "./modules";

/**
 * The WebAssembly GEMM as a chunk task of the fork-join pool (threads.ts). A pool has one
 * shared memory (`WasmShared`), posted to its workers as they start; each thread instantiates
 * the modules on it. Every operand lives in that memory, so a job passes no views, only
 * addresses: a chunk is a block of `w` columns (or rows) of C, which its thread computes whole
 * with its own pack buffers (the `index`th after the memory's start), so every element of C
 * sums the same products in the same order as on one thread: the threaded result equals the
 * single-threaded one bit for bit.
 */

/**
 * A pool's shared memory and the two modules that import it: rounded multiply-adds, then fused
 * ones (undefined where the runtime lacks relaxed SIMD).
 */
export interface WasmShared {
  readonly memory: WebAssembly.Memory;
  readonly modules: readonly [WebAssembly.Module, WebAssembly.Module | undefined];
  /** Rows of the modules' register tile. */
  readonly mr: number;
}

/** A shared memory and its modules, or undefined where wasm threads are unavailable. */
export const createWasmShared = (): WasmShared | undefined =>
  wasmThreadsAvailable()
    ? {
        memory: new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true }),
        modules: [
          gemmModule(false, true),
          relaxedSimdAvailable() ? gemmModule(true, true) : undefined,
        ],
        mr: GEMM_WASM_MR,
      }
    : undefined;

/** One split GEMM call, addresses in floats (as `WasmCore.gemm`), and how it is cut into chunks. */
export interface WasmGemmParams extends TaskParams {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: number;
  readonly aRs: number;
  readonly aCs: number;
  readonly b: number;
  readonly bRs: number;
  readonly bCs: number;
  readonly c: number;
  readonly ldc: number;
  readonly accumulate: boolean;
  /** Chunks are blocks of rows of C (else of columns). */
  readonly rows: boolean;
  /** Rows or columns per chunk (a multiple of the tile's). */
  readonly w: number;
  /** The fused multiply-add module. */
  readonly relaxed: boolean;
  readonly kc: number;
  readonly mc: number;
  readonly nc: number;
}

/** The parameters, in transport order. */
const WASM_GEMM_PARAMS = [
  "m",
  "n",
  "k",
  "a",
  "aRs",
  "aCs",
  "b",
  "bRs",
  "bCs",
  "c",
  "ldc",
  "accumulate",
  "rows",
  "w",
  "relaxed",
  "kc",
  "mc",
  "nc",
] as const satisfies readonly (keyof WasmGemmParams)[];

const WASM_GEMM_FLAGS = ["accumulate", "rows", "relaxed"] as const;

/** How split GEMM calls write and tasks read their parameters. */
export const WASM_GEMM_CODEC: ParamCodec<WasmGemmParams> = paramCodec(
  WASM_GEMM_PARAMS,
  WASM_GEMM_FLAGS,
);

/** A thread's cores on the shared memory, by module (fused or not), instantiated on first use. */
export const sharedCores = (
  shared: WasmShared,
  make: typeof wasmCore,
): ((relaxed: boolean) => WasmCore) => {
  const cores: (WasmCore | undefined)[] = [undefined, undefined];
  return (relaxed) => {
    const i = relaxed ? 1 : 0;
    const module = shared.modules[i];
    if (module === undefined) throw new Error("wasm threads: no relaxed SIMD in this runtime");
    const core = cores[i] ?? make(module, shared.memory, shared.mr);
    cores[i] = core;
    return core;
  };
};

/** The chunk task of thread `index` (0 the calling thread, worker i is i + 1) over its cores. */
export const wasmGemmTask = (
  cores: (relaxed: boolean) => WasmCore,
  index: number,
  codec: ParamCodec<WasmGemmParams>,
): ChunkTask => {
  return (p, _v, chunk) => {
    const q = codec.decode(p);
    const { gemm } = cores(q.relaxed);
    const blocking = { kc: q.kc, mc: q.mc, nc: q.nc };
    const at = index * (q.mc * q.kc + q.kc * q.nc);
    const o = chunk * q.w;
    const { m, n, k, a, aRs, aCs, b, bRs, bCs, c, ldc, accumulate } = q;
    if (q.rows) {
      const h = Math.min(q.w, m - o);
      gemm(at, blocking, h, n, k, a + o * aRs, aRs, aCs, b, bRs, bCs, c + o * ldc, ldc, accumulate);
    } else {
      const w = Math.min(q.w, n - o);
      gemm(at, blocking, m, w, k, a, aRs, aCs, b + o * bCs, bRs, bCs, c + o, ldc, accumulate);
    }
  };
};

/**
 * Source of an expression that builds a worker's task, given its `data` (the pool's
 * `WasmShared`) and `index`: its cores on the shared memory, its pack buffers after the
 * calling thread's.
 */
export const WASM_GEMM_TASK_SOURCE = `(() => {
  const codec = (${paramCodec.toString()})(${JSON.stringify(WASM_GEMM_PARAMS)}, ${JSON.stringify(WASM_GEMM_FLAGS)});
  const cores = (${sharedCores.toString()})(data, ${wasmCore.toString()});
  return (${wasmGemmTask.toString()})(cores, index + 1, codec);
})()`;

/** The calling thread's task (pack buffers at the memory's start). */
export const mainWasmGemmTask = (shared: WasmShared): ChunkTask =>
  wasmGemmTask(sharedCores(shared, wasmCore), 0, WASM_GEMM_CODEC);
