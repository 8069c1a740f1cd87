import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { cpuBackend } from "@loom/backend-cpu";
import { DEFAULT_TEST_DATA, runBackendTests, summarize } from "../node";

// ONNX's own backend tests (Debian's libonnx-testdata, installed by .ci/run). Each group must
// have no failure among the tests whose ops loom imports, and at least the passes reached when
// this was written, so a regression that turns passes into "unsupported" fails too.
const MIN_PASSED: Readonly<Record<string, number>> = {
  node: 583,
  "pytorch-converted": 65,
  "pytorch-operator": 34,
  simple: 6,
};

describe("ONNX backend test data", () => {
  it("is installed", () => {
    expect(existsSync(`${DEFAULT_TEST_DATA}/node`)).toBe(true);
  });

  it.each(Object.entries(MIN_PASSED))(
    "group %s: no failure, enough passes",
    async (group, min) => {
      const backend = cpuBackend();
      try {
        const results = await runBackendTests(backend, DEFAULT_TEST_DATA, [group]);
        const report = summarize(results);
        const failed = results
          .filter((r) => r.status === "failed")
          .map((r) => `${r.name}: ${r.message}`);
        expect(failed).toEqual([]);
        expect(report.passed).toBeGreaterThanOrEqual(min);
      } finally {
        backend.dispose();
      }
    },
    120_000,
  );
});
