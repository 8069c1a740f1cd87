/**
 * Times the WebAssembly GEMM as built (`pnpm build:wasm`, with its toolchain and MR): the
 * micro-kernel in cache (the same packed panels again and again: what the register tile can
 * do) and whole products n^3 with packing (min of several runs), in GFLOP/s on one thread.
 * For the toolchain and tile comparisons of docs/ARCHITECTURE.md; not part of the tests.
 */
import { MR, roundUp, WasmGemm } from "../src/kernels/wasm/wasm-gemm";
import { best } from "./best-of";

const g = new WasmGemm(false);
// In cache: a 48 x 64 block over kc = 128 (A 24 KiB, B 32 KiB), 200 times per run.
{
  const [mc, nc, kc, reps] = [48, 64, 128, 200];
  g.reset();
  const a = g.put(Float32Array.from({ length: mc * kc }, Math.random), 0, mc * kc);
  const b = g.put(Float32Array.from({ length: kc * nc }, Math.random), 0, kc * nc);
  const c = g.alloc(roundUp(mc, MR) * nc);
  g.gemm(mc, nc, kc, a, kc, 1, b, nc, 1, c, nc, false);
  const ex = (g as unknown as { ex: { block: (...x: number[]) => void } }).ex;
  const ms = best(20, () => {
    for (let r = 0; r < reps; r++) ex.block(mc, nc, kc, 0, 4 * 128 * 256, 4 * c, 4 * nc, 1);
  });
  console.log(
    `in-cache block ${mc}x${nc}x${kc}: ${((2 * mc * nc * kc * reps) / ms / 1e6).toFixed(1)} GFLOP/s (MR=${MR})`,
  );
}
for (const n of [256, 1024]) {
  g.reset();
  const a = g.put(Float32Array.from({ length: n * n }, Math.random), 0, n * n);
  const b = g.put(Float32Array.from({ length: n * n }, Math.random), 0, n * n);
  const c = g.alloc(n * n);
  const ms = best(n > 512 ? 5 : 30, () => g.gemm(n, n, n, a, n, 1, b, n, 1, c, n, false));
  console.log(
    `gemm ${n}^3: ${ms.toFixed(2)} ms, ${((2 * n ** 3) / ms / 1e6).toFixed(1)} GFLOP/s (MR=${MR})`,
  );
}
