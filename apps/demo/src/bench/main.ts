import os from "node:os";
import { parseArgs } from "node:util";
import { runInChromium } from "./browser";
import { selectCases } from "./cases";
import { loomImpls } from "./loom";
import { ortImpl } from "./peers-ort";
import { tfImpls } from "./peers-tf";
import type { BenchResult } from "./report";
import { HEADER } from "./report";
import { runCases, summaryLines } from "./run";

const USAGE = `usage: pnpm bench [--json] [--quick] [--browser] [--filter <substring>] [--impl <substring>]
  --json     print {"results":[{case, impl, medianMs, gflops}]} as the last line of stdout
  --quick    a short smoke run (about 0.25 s of timed runs per case instead of 1.5 s)
  --filter   only the cases whose name contains the substring
  --impl     only the implementations whose name contains the substring
  --browser  also run loom's WebGL backend and tfjs-webgl in Debian's Chromium (LOOM_CHROMIUM)`;

const parseCli = () =>
  parseArgs({
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      filter: { type: "string", default: "" },
      impl: { type: "string", default: "" },
      browser: { type: "boolean", default: false },
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
  const cases = selectCases(values.filter);
  const wanted = (i: { name: string }) => i.name.includes(values.impl);
  out(HEADER);
  const node = await runCases({
    cases,
    impls: [...loomImpls(), ...tfImpls(), ortImpl()].filter(wanted),
    quick: values.quick,
    out,
    log,
  });
  const rows = [...node.rows];
  let failures = node.failures;
  if (values.browser) {
    const web = await runInChromium({
      filter: values.filter,
      impl: values.impl,
      quick: values.quick,
      out,
      log,
    });
    rows.push(...web.rows);
    failures += web.failures;
  }
  for (const line of summaryLines(cases, rows)) out(line);
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
