import {
  GEMM_WASM,
  GEMM_WASM_RELAXED,
  GEMM_WASM_SHARED,
  GEMM_WASM_SHARED_RELAXED,
} from "./generated/gemm-wasm";
import { threadsAvailable } from "../threads";

/**
 * The four builds of the GEMM module (scripts/build-wasm.ts): on a private or a shared memory,
 * with rounded or fused multiply-adds; and what this runtime runs of them.
 */

const decode = (b64: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));

const validates = (b64: string): boolean =>
  typeof WebAssembly === "object" && WebAssembly.validate(decode(b64));

/** Whether this runtime runs WebAssembly SIMD (it validates the GEMM module). */
export const wasmSimdAvailable = (): boolean => validates(GEMM_WASM);

/** Whether this runtime has relaxed SIMD's fused multiply-add. */
export const relaxedSimdAvailable = (): boolean => validates(GEMM_WASM_RELAXED);

/**
 * Whether the GEMM can run on worker threads here: the pool's workers exist (threads.ts:
 * Node, with SharedArrayBuffer) and the runtime validates the module on a shared memory.
 */
export const wasmThreadsAvailable = (): boolean =>
  threadsAvailable() && validates(GEMM_WASM_SHARED);

/** The compiled module: fused multiply-adds if `relaxed`, importing a shared memory if `shared`. */
export const gemmModule = (relaxed: boolean, shared: boolean): WebAssembly.Module =>
  new WebAssembly.Module(
    decode(
      shared
        ? relaxed
          ? GEMM_WASM_SHARED_RELAXED
          : GEMM_WASM_SHARED
        : relaxed
          ? GEMM_WASM_RELAXED
          : GEMM_WASM,
    ),
  );
