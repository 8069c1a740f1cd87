import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { toJson } from "@loom/graph";
import { modelGraph } from "@loom/models";
import { expectUsageError, loom } from "./testing/run-loom";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

describe("loom inspect", () => {
  it("prints the MLP graph as text", async () => {
    const { code, out, err } = await loom("inspect", "--model", "mlp");
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out.match(/^ {2}%\d+ = matmul\(/gm)).toHaveLength(3);
    expect(out).toMatch(/^ {2}%\d+ = input\(\) \{name:"x"\} : f32\[N,1,28,28\]$/m);
    expect(out).toMatch(/^ {2}return \{ logits: %\d+ \}$/m);
  });

  it("prints DOT", async () => {
    const { code, out } = await loom("inspect", "--model", "mlp", "--format", "dot");
    expect(code).toBe(0);
    expect(out.startsWith("digraph")).toBe(true);
    expect(out.trimEnd().endsWith("}")).toBe(true);
  });

  it("prints JSON with every node of the model's graph", async () => {
    const { code, out } = await loom("inspect", "--model", "mlp", "--format", "json");
    expect(code).toBe(0);
    const j = JSON.parse(out) as ReturnType<typeof toJson>;
    expect(j.nodes.length).toBe(toJson(modelGraph("mlp")).nodes.length);
    expect(Object.keys(j.outputs)).toEqual(["logits"]);
  });

  it("reports the LeNet training step's stages and memory as the last JSON line (--train --json)", async () => {
    const { code, out } = await loom("inspect", "--model", "lenet", "--train", "--json");
    expect(code).toBe(0);
    const j = JSON.parse(out.trimEnd().split("\n").pop()!) as {
      model: string;
      train: boolean;
      stages: { name: string; nodes: number; kernels: number }[];
      memory: Record<string, number>;
    };
    expect(j.model).toBe("lenet");
    expect(j.train).toBe(true);
    expect(j.stages.map((s) => s.name)).toEqual([
      "input",
      "infer-shapes",
      "simplify",
      "fuse",
      "schedule",
      "plan-memory",
    ]);
    const traced = j.stages[0]!.nodes;
    const planned = j.stages[5]!.kernels;
    expect(planned * 3).toBeLessThanOrEqual(traced);
    const m = j.memory;
    expect(m["peakBytes"]).toBeLessThanOrEqual(1.25 * m["lowerBoundBytes"]!);
    expect(m["peakBytes"]).toBeLessThanOrEqual(0.5 * m["noReuseBytes"]!);
    expect(m["inputBytes"]).toBeGreaterThan(64 * 28 * 28 * 4);
    expect(m["outputBytes"]).toBeGreaterThan(61706 * 4 * 3);
  });

  it("prints the fused kernels, and a kernel's generated JavaScript", async () => {
    const fused = await loom("inspect", "--model", "mlp", "--stage", "fused");
    expect(fused.code).toBe(0);
    expect(fused.out).toMatch(/^ {2}k0: b\d+ = matmul\(/m);
    const planned = await loom("inspect", "--model", "mlp", "--train", "--stage", "planned");
    const expr = planned.out.match(/^ {2}k(\d+): b\d+ = \[.*: f32\[\d+,\d+\]/m);
    expect(expr).not.toBeNull();
    const src = await loom("inspect", "-m", "mlp", "--train", "--kernel", expr![1]!, "--source");
    expect(src.code).toBe(0);
    expect(src.out).toMatch(/^k\d+: /);
    expect(src.out).toMatch(/for \(let x0 = 0; x0 < \d+; x0\+\+\)/);
  });

  it("binds a concrete batch with --batch", async () => {
    const { code, out } = await loom("inspect", "-m", "mlp", "-f", "json", "--batch", "32");
    expect(code).toBe(0);
    const j = JSON.parse(out) as ReturnType<typeof toJson>;
    expect(j.nodes[j.inputs["x"]!]!.shape).toEqual([32, 1, 28, 28]);
    expect(j.nodes[j.outputs["logits"]!]!.shape).toEqual([32, 10]);
  });

  it.each([
    [
      ["inspect", "--model", "nope"],
      /^loom: .*unknown model "nope"; known models: perceptron, mlp, lenet, alexnet, vgg11, vgg16, resnet18, resnet34, resnet50, resnet20, resnet32, resnet56\n$/,
    ],
    [
      ["inspect", "--model", "mlp", "--format", "xml"],
      /^loom: .*'xml' is invalid.*text, dot, json.*\n$/,
    ],
    [["inspect", "--model", "mlp", "--batch", "-3"], /^loom: .*positive integer.*\n$/],
    [
      ["inspect"],
      /^loom: model: name a model: a zoo model \(--model lenet\) or your own \(--module .*\)\n$/,
    ],
    [["inspct", "--model", "mlp"], /^loom: unknown command 'inspct'.*\n$/],
  ])("exits 2 with a one-line error for %j", async (argv, message) => {
    expectUsageError(await loom(...argv), message);
  });

  it("prints help for the program and for each command", async () => {
    const top = await loom("--help");
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/Usage: loom/);
    expect(top.out).toMatch(/inspect/);
    const sub = await loom("inspect", "--help");
    expect(sub.code).toBe(0);
    expect(sub.out).toMatch(/Usage: loom inspect/);
    expect(sub.out).toMatch(/--format/);
    expect(sub.out).toMatch(/--batch/);
  });
});

describe("the loom binary", () => {
  const exec = promisify(execFile);
  const node = (...argv: string[]) =>
    exec(process.execPath, ["--import", "tsx", "apps/demo/src/cli.ts", ...argv], { cwd: repoRoot });

  it("prints the graph and exits 0", async () => {
    const { stdout } = await node("inspect", "--model", "mlp");
    expect(stdout).toMatch(/= matmul\(/);
    expect(stdout).toMatch(/return \{ logits: %\d+ \}/);
  });

  it("exits 2 with the known models, and no stack trace, for an unknown model", async () => {
    const err = await node("inspect", "--model", "resnet9000").then(
      () => expect.unreachable("the CLI should fail"),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(err.code).toBe(2);
    expect(err.stderr).toBe(
      'loom: model: unknown model "resnet9000"; known models: perceptron, mlp, lenet, alexnet, vgg11, vgg16, resnet18, resnet34, resnet50, resnet20, resnet32, resnet56\n',
    );
    expect(err.stdout).toBe("");
  });
});
