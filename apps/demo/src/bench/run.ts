import type { BenchCase, Impl, Runner } from "./cases";
import { makeCaseData, SkipCase } from "./cases";
import type { TimingOptions } from "./stats";
import { DEFAULT_TIMING, gflops, QUICK_TIMING, timeIt } from "./stats";
import type { Row } from "./report";
import { formatNote, formatRow, lossMismatches, ratioLines } from "./report";

// The benchmark loop, free of Node: `pnpm bench` runs it in Node, and its browser page
// (bench/browser/page.ts) runs it in Chromium for the WebGL implementations.

/** Times one case on one implementation; the first run's loss (training steps) is kept to compare sides. */
export const timeCase = async (
  c: BenchCase,
  impl: Impl,
  runner: Runner,
  timing: TimingOptions,
): Promise<Row> => {
  let loss: number | undefined;
  let first = true;
  const t = await timeIt(async () => {
    const l = await runner.run();
    if (first) loss = l;
    first = false;
  }, timing);
  const runs = t.samplesMs.length;
  return {
    case: c.name,
    impl: impl.name,
    medianMs: t.medianMs,
    gflops: c.flops === null ? null : gflops(c.flops, t.medianMs),
    runs,
    loss,
  };
};

/** Runs cases on implementations, printing a row per (case, implementation) as it goes. */
export const runCases = async (opts: {
  cases: readonly BenchCase[];
  impls: readonly Impl[];
  quick: boolean;
  out: (line: string) => void;
  log: (line: string) => void;
}): Promise<{ rows: Row[]; failures: number }> => {
  const { cases, impls } = opts;
  const base = opts.quick ? QUICK_TIMING : DEFAULT_TIMING;
  const rows: Row[] = [];
  let failures = 0;
  for (const c of cases) {
    const skipped = (impl: Impl, why: string) =>
      opts.out(formatNote(c.name, impl.name, `skipped: ${why}`));
    const mine = impls.filter((i) => i.skip(c) === undefined);
    if (mine.length === 0) continue;
    opts.log(`bench: ${c.name}: ${c.title}`);
    const data = await makeCaseData(c);
    for (const impl of impls) {
      const why = impl.skip(c);
      if (why !== undefined) {
        skipped(impl, why);
        continue;
      }
      const t0 = performance.now();
      try {
        const timing = impl.timing(
          c.maxRuns === undefined ? base : { ...base, maxRuns: c.maxRuns },
        );
        const runner = await impl.prepare(c, data);
        try {
          const row = await timeCase(c, impl, runner, timing);
          rows.push(row);
          opts.out(formatRow(row));
        } finally {
          runner.dispose();
        }
      } catch (e) {
        if (e instanceof SkipCase) {
          skipped(impl, e.message);
          continue;
        }
        failures++;
        opts.out(formatNote(c.name, impl.name, `FAILED: ${(e as Error).message}`));
      }
      opts.log(`bench:   ${impl.name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  return { rows, failures };
};

/** The ratio and loss-check lines printed under the table, for every case of `rows`. */
export const summaryLines = (cases: readonly BenchCase[], rows: readonly Row[]): string[] => {
  const lines: string[] = [];
  const ratios = cases.flatMap((c) => ratioLines(c.name, rows));
  if (ratios.length > 0) {
    lines.push("", "ratios (loom / peer median time; > 1 means loom is slower)", ...ratios);
  }
  const mismatches = lossMismatches(rows);
  if (mismatches.length > 0) lines.push("", ...mismatches);
  return lines;
};
