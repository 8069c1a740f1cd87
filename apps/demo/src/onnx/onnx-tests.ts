import { cpuBackend } from "@loom/backend-cpu";
import type { CaseResult, Counts } from "@loom/onnx/node";
import { DEFAULT_TEST_DATA, runBackendTests, summarize, TEST_GROUPS } from "@loom/onnx/node";

/**
 * `pnpm onnx-tests [--json] [--group G]... [--filter S] [--data DIR] [--verbose]`: runs ONNX's
 * backend test data (Debian's libonnx-testdata) on the CPU backend and prints pass / fail /
 * unsupported per op and per group; with `--json` the last line is
 * `{"passed","failed","unsupported","byOp"}`. Exits 1 when a supported test fails.
 */
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const values = (name: string) =>
  argv.flatMap((a, i) => (a === name && argv[i + 1] ? [argv[i + 1]!] : []));
const groups = values("--group").length > 0 ? values("--group") : [...TEST_GROUPS];
const data = values("--data")[0] ?? DEFAULT_TEST_DATA;
const filter = values("--filter")[0];

const line = (label: string, c: Counts) =>
  `${label.padEnd(34)} ${String(c.passed).padStart(5)} ${String(c.failed).padStart(6)} ${String(c.unsupported).padStart(11)}`;

const backend = cpuBackend();
const results: CaseResult[] = await runBackendTests(backend, data, groups, {
  ...(filter === undefined ? {} : { filter }),
  onResult: (r) => {
    if (r.status === "failed" || (flag("--verbose") && r.status === "unsupported"))
      process.stdout.write(`${r.status} ${r.group}/${r.name}: ${r.message ?? ""}\n`);
  },
});
backend.dispose();
const report = summarize(results);
const header = `${"".padEnd(34)} passed failed unsupported`;
process.stdout.write(
  [
    header,
    ...Object.entries(report.byOp).map(([op, c]) => line(op, c)),
    "",
    header,
    ...Object.entries(report.byGroup).map(([g, c]) => line(`group ${g}`, c)),
    line("total", report),
    "",
  ].join("\n"),
);
if (flag("--json")) {
  const { passed, failed, unsupported, byOp, byGroup } = report;
  process.stdout.write(`${JSON.stringify({ passed, failed, unsupported, byGroup, byOp })}\n`);
}
process.exitCode = report.failed > 0 ? 1 : 0;
