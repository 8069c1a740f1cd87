import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import type { Tensor } from "@loom/ops";
import { compile, hostTensor, matmul, relu } from "@loom/ops";
import { pipelineFromEnv } from "./pipeline-env";

describe("LOOM_DUMP_DIR", () => {
  const dir = mkdtempSync(join(tmpdir(), "loom-dump-"));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("dumps every stage of a compile, named after the function, as text and DOT", async () => {
    const opts = pipelineFromEnv({ LOOM_DUMP_DIR: dir });
    const fn = ({ x, w }: { x: Tensor; w: Tensor }) => ({ y: relu(matmul(x, w)) });
    const specs = { x: { shape: ["N", 3] }, w: { shape: [3, 2] } };
    const feeds = {
      x: hostTensor([1, 2, 3, 4, 5, 6], [2, 3]),
      w: hostTensor([1, -1, 1, -1, 1, -1], [3, 2]),
    };
    await compile(cpuBackend(), fn, specs, { ...opts, name: "dense" }).run(feeds as never);
    // An unnamed compile is numbered by the sink (not by a module-level counter).
    await compile(cpuBackend(), fn, specs, opts).run(feeds as never);
    const files = readdirSync(dir).sort();
    const dense = files.filter((n) => n.startsWith("dense-"));
    expect(
      dense.filter((n) => n.endsWith(".txt")).map((n) => n.replace(/^dense-\d+-/, "")),
    ).toEqual([
      "input.txt",
      "infer-shapes.txt",
      "simplify.txt",
      "fuse.txt",
      "schedule.txt",
      "plan-memory.txt",
    ]);
    expect(dense.filter((n) => n.endsWith(".dot"))).toHaveLength(3);
    expect(files.filter((n) => n.startsWith("001-"))).toHaveLength(9);
    const planned = readFileSync(
      join(
        dir,
        dense.find((n) => n.endsWith("plan-memory.txt"))!,
      ),
      "utf8",
    );
    expect(planned).toMatch(/matmul\(b\d, b\d\) then max\(acc, 0\)/);
    expect(planned).toMatch(/arena \d+ B/);
  });

  it("is off without the variable, and LOOM_DEBUG turns validation on", () => {
    expect(pipelineFromEnv({})).toEqual({});
    expect(pipelineFromEnv({ LOOM_DEBUG: "1" })).toEqual({ validate: true });
  });
});
