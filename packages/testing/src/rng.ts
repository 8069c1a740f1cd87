/**
 * mulberry32: a tiny seeded generator of uniform values in [0, 1), so a failing property
 * replays from its seed and fast-check shrinks seeds rather than arrays of values.
 */
export const rng = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** `n` values uniform in [-lim, lim) from `seed`, as float32. */
export const randomValues = (n: number, seed: number, lim = 1): Float32Array => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * lim);
};

/** Values on a grid of quarters in [-lim, lim]: float32 sums and products of them stay exact. */
export const gridValues = (n: number, seed: number, lim = 4): number[] => {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.round((r() * 2 - 1) * lim * 4) / 4);
};

/**
 * Property runs: `fallback`, or LOOM_FUZZ_RUNS for a longer search (read where a `process`
 * exists: Node; the browser project keeps the fallback).
 */
export const fuzzRuns = (fallback: number): number => {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  return Number(env?.["LOOM_FUZZ_RUNS"] ?? fallback);
};
