/** Times gemm 1024^3 under a few cache blockings, interleaved (min of runs): for docs/ARCHITECTURE.md. */
import { WasmGemm } from "../src/kernels/wasm/wasm-gemm";

const n = 1024;
const variants = [
  { kc: 256, mc: 128, nc: 1024 },
  { kc: 256, mc: 64, nc: 512 },
  { kc: 128, mc: 128, nc: 512 },
  { kc: 512, mc: 64, nc: 256 },
  { kc: 128, mc: 64, nc: 256 },
];
const gs = variants.map((v) => {
  const g = new WasmGemm(false, v);
  const a = g.put(Float32Array.from({ length: n * n }, Math.random), 0, n * n);
  const b = g.put(Float32Array.from({ length: n * n }, Math.random), 0, n * n);
  const c = g.alloc(n * n);
  return () => g.gemm(n, n, n, a, n, 1, b, n, 1, c, n, false);
});
const best = variants.map(() => Infinity);
for (let r = 0; r < 5; r++) {
  gs.forEach((f, i) => {
    const t = performance.now();
    f();
    best[i] = Math.min(best[i], performance.now() - t);
  });
}
variants.forEach((v, i) =>
  console.log(JSON.stringify(v), `${((2 * n ** 3) / best[i] / 1e6).toFixed(1)} GFLOP/s`),
);
