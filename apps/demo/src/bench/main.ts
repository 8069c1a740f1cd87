import os from "node:os";
import { parseArgs } from "node:util";
import type { BenchCase, Impl, Runner } from "./cases";
import { makeCaseData, selectCases, SkipCase } from "./cases";
import { loomImpls } from "./loom";
import { tfImpls } from "./peers-tf";
import type { TimingOptions } from "./stats";
import { DEFAULT_TIMING, gflops, QUICK_TIMING, timeIt } from "./stats";
import type { BenchResult, Row } from "./report";
import { formatNote, formatRow, HEADER, lossMismatches, ratioLines } from "./report";

const USAGE = `usage: pnpm bench [--json] [--quick] [--filter <substring>] [--impl <substring>]
  --json     print {"results":[{case, impl, medianMs, gflops}]} as the last line of stdout
  --quick    a short smoke run (about 0.25 s of timed runs per case instead of 1.5 s)
  --filter   only the cases whose name contains the substring
  --impl     only the implementations whose name contains the substring`;

/** Times one case on one implementation; the first run's loss (training steps) is kept to compare sides. */
const timeCase = async (
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

/** Runs the selected cases on every implementation, printing the table as it goes. */
const runBench = async (opts: {
  quick: boolean;
  filter: string;
  impl: string;
  out: (line: string) => void;
  log: (line: string) => void;
}): Promise<{ rows: Row[]; failures: number }> => {
  const cases = selectCases(opts.filter);
  const impls = [...loomImpls(), ...tfImpls()].filter((i) => i.name.includes(opts.impl));
  const base = opts.quick ? QUICK_TIMING : DEFAULT_TIMING;
  const rows: Row[] = [];
  let failures = 0;
  opts.out(HEADER);
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
  const ratios = cases.flatMap((c) => ratioLines(c.name, rows));
  if (ratios.length > 0) {
    opts.out("");
    opts.out("ratios (loom / peer median time; > 1 means loom is slower)");
    for (const line of ratios) opts.out(line);
  }
  const mismatches = lossMismatches(rows);
  if (mismatches.length > 0) {
    opts.out("");
    for (const line of mismatches) opts.out(line);
  }
  return { rows, failures };
};

const parseCli = () =>
  parseArgs({
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      filter: { type: "string", default: "" },
      impl: { type: "string", default: "" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
  });

const main = async (): Promise<number> => {
  let values: ReturnType<typeof parseCli>["values"];
  try {
    values = parseCli().values;
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  out(
    `loom bench: node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"})${values.quick ? ", quick" : ""}`,
  );
  const t0 = performance.now();
  const { rows, failures } = await runBench({
    quick: values.quick,
    filter: values.filter,
    impl: values.impl,
    out,
    log,
  });
  log(`bench: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (values.json) {
    const results: BenchResult[] = rows.map((r) => ({
      case: r.case,
      impl: r.impl,
      medianMs: r.medianMs,
      gflops: r.gflops,
    }));
    out(JSON.stringify({ results }));
  }
  return failures > 0 ? 1 : 0;
};

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
