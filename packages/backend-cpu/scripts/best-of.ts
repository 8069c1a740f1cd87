/** The shortest of `runs` timed calls of `f`, in ms: the measure of the scripts' comparisons. */
export const best = (runs: number, f: () => void): number => {
  let t = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
};
