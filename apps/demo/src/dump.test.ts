import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import { compile, hostTensor, matmul, relu } from "@loom/ops";

describe("LOOM_DUMP_DIR", () => {
  const dir = mkdtempSync(join(tmpdir(), "loom-dump-"));
  afterEach(() => {
    delete process.env["LOOM_DUMP_DIR"];
    rmSync(dir, { recursive: true, force: true });
  });

  it("dumps every pass of a compile as text and DOT, and the fused and planned plans", async () => {
    process.env["LOOM_DUMP_DIR"] = dir;
    const f = compile(cpuBackend(), ({ x, w }) => ({ y: relu(matmul(x, w)) }), {
      x: { shape: ["N", 3] },
      w: { shape: [3, 2] },
    });
    await f.run({
      x: hostTensor([1, 2, 3, 4, 5, 6], [2, 3]),
      w: hostTensor([1, -1, 1, -1, 1, -1], [3, 2]),
    });
    const files = readdirSync(dir).sort();
    expect(files.filter((n) => n.endsWith(".txt")).map((n) => n.replace(/^\d+-\d+-/, ""))).toEqual([
      "input.txt",
      "infer-shapes.txt",
      "simplify.txt",
      "fused.txt",
      "planned.txt",
    ]);
    expect(files.filter((n) => n.endsWith(".dot"))).toHaveLength(3);
    const planned = readFileSync(
      join(
        dir,
        files.find((n) => n.endsWith("planned.txt"))!,
      ),
      "utf8",
    );
    expect(planned).toMatch(/matmul\(b\d, b\d\) then max\(acc, 0\)/);
    expect(planned).toMatch(/arena \d+ B/);
  });
});
