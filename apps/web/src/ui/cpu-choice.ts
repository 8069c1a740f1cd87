import type { CpuSupport } from "../protocol";

/** The CPU backend's option label: what its kernels run on, e.g. "CPU (WebAssembly SIMD, 1 thread)". */
export const cpuLabel = (cpu: CpuSupport): string =>
  `CPU (${cpu.wasm ? "WebAssembly SIMD" : "JavaScript"}, ${cpu.threads} thread${cpu.threads === 1 ? "" : "s"})`;

/** Why the CPU backend has the threads it has (the option's tooltip). */
export const cpuTitle = (cpu: CpuSupport): string =>
  cpu.crossOriginIsolated
    ? "The page is cross-origin isolated: shared memory is available."
    : "The page is not cross-origin isolated (no COOP/COEP headers): no shared memory, one thread.";
