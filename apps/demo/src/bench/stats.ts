/** The median of a non-empty list of numbers (the mean of the two middle values for an even count). */
export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) throw new RangeError("median of an empty list");
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** How long and how often a case is repeated. */
export type TimingOptions = {
  /** Warm up (JIT, caches) for this long after the first run (which compiles), or `maxWarmupRuns` runs. */
  readonly warmupMs: number;
  /** At most this many warm-up runs, however fast they are. */
  readonly maxWarmupRuns: number;
  /** Keep measuring until the timed runs add up to this much... */
  readonly targetMs: number;
  /** ...and there are at least this many of them... */
  readonly minRuns: number;
  /** ...but never more than this many... */
  readonly maxRuns: number;
  /** ...and stop once the timed runs add up to this much, even below `minRuns` (slow cases get 1-2 runs). */
  readonly maxTotalMs: number;
};

/** The default loop: about 1.5 s of timed runs, at least 3 of them unless a run takes seconds. */
export const DEFAULT_TIMING: TimingOptions = {
  warmupMs: 150,
  maxWarmupRuns: 20,
  targetMs: 1500,
  minRuns: 3,
  maxRuns: 200,
  maxTotalMs: 6000,
};

/** `--quick`: a smoke run that still takes a median of a few runs. */
export const QUICK_TIMING: TimingOptions = {
  warmupMs: 30,
  maxWarmupRuns: 5,
  targetMs: 250,
  minRuns: 3,
  maxRuns: 50,
  maxTotalMs: 1500,
};

/** What a timing loop measured. */
export type Timing = {
  readonly medianMs: number;
  readonly samplesMs: readonly number[];
  readonly warmupRuns: number;
};

/**
 * Times `fn` adaptively: warm-up runs first (not measured), then timed runs until their sum
 * reaches `targetMs` with at least `minRuns` runs, capped by `maxRuns` and by `maxTotalMs`.
 * Returns the median, which one stray garbage collection or scheduler hiccup does not move.
 * The clock is injectable so the loop can be tested without waiting.
 */
export const timeIt = async (
  fn: () => unknown,
  opts: TimingOptions = DEFAULT_TIMING,
  now: () => number = () => performance.now(),
): Promise<Timing> => {
  // The first run compiles (trace, passes, the backend's codegen): it warms up nothing of the
  // warm-up time, which starts after it, so the JIT sees the kernels run before timing does.
  await fn();
  let warmupRuns = 1;
  const warmStart = now();
  while (warmupRuns < opts.maxWarmupRuns && now() - warmStart < opts.warmupMs) {
    await fn();
    warmupRuns++;
  }
  const samplesMs: number[] = [];
  let total = 0;
  const done = () =>
    samplesMs.length >= opts.maxRuns ||
    total >= opts.maxTotalMs ||
    (total >= opts.targetMs && samplesMs.length >= opts.minRuns);
  while (samplesMs.length === 0 || !done()) {
    const t0 = now();
    await fn();
    const dt = now() - t0;
    samplesMs.push(dt);
    total += dt;
  }
  return { medianMs: median(samplesMs), samplesMs, warmupRuns };
};

/** Throughput in GFLOP/s of `flops` floating-point operations done in `ms` milliseconds. */
export const gflops = (flops: number, ms: number): number => flops / (ms * 1e6);

/** `loom / peer` as a factor: 2 means loom takes twice as long; undefined when either is missing. */
export const ratio = (
  loomMs: number | undefined,
  peerMs: number | undefined,
): number | undefined =>
  loomMs === undefined || peerMs === undefined || peerMs <= 0 ? undefined : loomMs / peerMs;
