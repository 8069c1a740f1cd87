import { LoomError, threefry2x32 } from "@loom/graph";

/**
 * The order of an epoch: a Fisher-Yates shuffle of `0..n-1` whose random numbers are
 * Threefry-2x32 of the seed (as a key `[hi, lo]`) and the counter `(i, epoch + 1)`. The same
 * seed and epoch always give the same order, which makes resumed runs bit-identical.
 */
export const epochPermutation = (seed: number, epoch: number, n: number): Int32Array => {
  if (!Number.isSafeInteger(seed))
    throw new LoomError("invalid_argument", "shuffle", `seed must be a safe integer, got ${seed}`);
  const k0 = Math.floor(seed / 2 ** 32) | 0;
  const k1 = seed | 0;
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const u = (threefry2x32(k0, k1, i, epoch + 1) >>> 0) / 2 ** 32;
    const j = Math.floor(u * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
};
