import type { LibraryKernelImpl } from "./kernel";

/** The fast library kernels, by op name (placeholder until the optimised kernels land). */
export const FAST_KERNELS: Readonly<Record<string, LibraryKernelImpl>> = {};
