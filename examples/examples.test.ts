/**
 * Every Node example runs as a user runs it (`tsx src/main.ts` in its folder, a child process)
 * with a small data limit, and what it prints is checked: the examples are documentation, and
 * documentation that no longer runs is worse than none. The browser example has its own test
 * (`browser/browser.test.ts`).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { outputBlocks, outputLineMatches, readFromRoot } from "../scripts/snippets";

const TSX = fileURLToPath(new URL("../node_modules/tsx/dist/cli.mjs", import.meta.url));

/** What the guides say the examples print (blocks marked `<!-- output: examples/<name> -->`). */
const documented = outputBlocks(readFromRoot);
const checked = new Set<string>();

/** Checks the lines the guides show for an example (run without arguments) against its output. */
const expectDocumentedOutput = (name: string, out: string) => {
  const printed = out.split("\n");
  for (const block of documented.filter((b) => b.example === `examples/${name}`)) {
    for (const line of block.lines) {
      const found = printed.some((p) => outputLineMatches(line, p));
      expect(found, `${block.doc} shows "${line}", which examples/${name} does not print`).toBe(
        true,
      );
    }
  }
  checked.add(`examples/${name}`);
};

/** Runs a TypeScript file with tsx in `cwd`; resolves with its stdout. */
const runTsx = async (
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<string> => {
  const { stdout } = await promisify(execFile)(process.execPath, [TSX, ...args], {
    cwd,
    env: { ...process.env, ...env, NO_COLOR: "1" },
  });
  return stdout;
};

/** Runs an example's `src/main.ts` with arguments and environment; resolves with its stdout. */
const runExample = (name: string, args: readonly string[] = [], env: Record<string, string> = {}) =>
  runTsx(fileURLToPath(new URL(`./${name}/`, import.meta.url)), ["src/main.ts", ...args], env);

/** The numbers of the lines matching `re` (its first group). */
const numbers = (out: string, re: RegExp): number[] =>
  [...out.matchAll(new RegExp(re, "g"))].map((m) => Number(m[1]));

describe("the examples", () => {
  it("taste: the loss starts at ln 3 (zero weights, three classes) and falls every step", async () => {
    const losses = numbers(await runExample("taste"), /loss ([\d.]+)/);
    expect(losses).toHaveLength(5);
    expect(losses[0]).toBeCloseTo(Math.log(3), 4);
    losses.slice(1).forEach((l, i) => expect(l).toBeLessThan(losses[i]!));
  });

  it("xor: learns the truth table", async () => {
    const out = await runExample("xor");
    expectDocumentedOutput("xor", out);
    for (const [a, b] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ])
      expect(out).toContain(`${a} xor ${b} = ${a ^ b}`);
  });

  it("state: trees of params and state, batch norm's statistics, keys", async () => {
    const out = await runExample("state");
    expectDocumentedOutput("state", out);
    expect(out).toContain(
      "params: hidden.w [4x3], hidden.b [4], bn.gamma [4], bn.beta [4], out.w [1x4], out.b [1]",
    );
    expect(out).toContain("state:  bn.mean [4], bn.var [4]");
    expect(out).toContain(`${3 * 4 + 4 + 4 + 4 + 4 + 1} parameters`);
    const line = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(out)![1]!;
    expect(line("running mean before")).toBe("0.000,0.000,0.000,0.000");
    expect(line("after a training step")).not.toBe(line("running mean before"));
    expect(line("after inference")).toBe(line("running mean before"));
    expect(line("again")).toBe(line("a"));
    expect(line("b")).not.toBe(line("a"));
    expect(line("weights' sum of squares / 2")).toBe(line("on the host"));
  });

  it("custom-loop: the Huber loss of the regression falls fivefold", async () => {
    const out = await runExample("custom-loop");
    const losses = numbers(out, /epoch \d+: huber loss ([\d.]+)/);
    expect(losses).toHaveLength(8);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 5);
    expect(out).toContain("glu.w [32x2], glu.gate [32x2], out.w [1x32], out.b [1]");
    // fit with the same model, optimizer, seed and batches takes the same steps as the loop.
    expect(numbers(out, /fit: huber loss ([\d.]+)/)).toEqual([losses.at(-1)]);
    // The first epoch again with the variables on the device takes the same steps.
    expect(numbers(out, /resident: huber loss ([\d.]+)/)).toEqual([losses[0]]);
  });

  it("inspect: batch norm and ReLU end in the convolution's epilogue; the arena reuses memory", async () => {
    const out = await runExample("inspect");
    expectDocumentedOutput("inspect", out);
    // conv 8*1*3*3+8, bn 2*8, conv2 8*8*3*3+8, fc 512*10+10; MACs: 16*16 outputs per channel
    const params = 8 * 9 + 8 + 16 + 8 * 8 * 9 + 8 + 512 * 10 + 10;
    const macs = 16 * 16 * 8 * 9 + 16 * 16 * 8 * 8 * 9 + 512 * 10;
    expect(out).toContain(`total: ${params} params, ${macs} MACs per example`);
    const stages = [...out.matchAll(/^(\S+) +(\d+) (nodes|kernels)$/gm)].map((m) => m[1]);
    expect(stages).toEqual([
      "input",
      "infer-shapes",
      "simplify",
      "fuse",
      "schedule",
      "plan-memory",
    ]);
    const absorbed = /conv kernel computes: (.*)/.exec(out)![1]!.split(" ");
    expect(absorbed[0]).toBe("conv2d");
    // batch norm's (x - mean) / sqrt(var + eps) * gamma + beta, then ReLU as max(x, 0)
    expect(absorbed).toEqual(expect.arrayContaining(["sub", "sqrt", "recip", "mul", "add"]));
    expect(absorbed.at(-1)).toBe("maximum");
    const [arena, lower, noReuse] = numbers(out, /(\d+) B/).slice(0, 3);
    expect(arena).toBeGreaterThanOrEqual(lower!);
    expect(arena).toBeLessThan(noReuse!);
    const dumped = /dumped: (.*)/.exec(out)![1]!.split(" ");
    expect(dumped).toEqual(expect.arrayContaining(["cnn-00-input.txt", "cnn-05-plan-memory.txt"]));
  });

  it("the CLI summarises the inspect example's model from its module (--module)", async () => {
    const root = fileURLToPath(new URL("../", import.meta.url));
    const out = await runTsx(root, [
      "apps/demo/src/cli.ts",
      "summary",
      "--module",
      "examples/inspect/src/model.ts",
      "--export",
      "cnn",
      "--input",
      "1x16x16",
    ]);
    // The same figures as the example's own summarize (counted by hand in the test above).
    expect(out).toMatch(/^total +5,810 +171,008$/m);
    expectDocumentedOutput("inspect#cli", out);
  });

  it("interop: a model goes to a PyTorch state dict and back exactly, and through a checkpoint", async () => {
    const out = await runExample("interop");
    expectDocumentedOutput("interop", out);
    expect(out).toMatch(/^0\.weight +<- loom params\.conv1\.w$/m);
    expect(out).toContain("checkpoint: model lenet, step 0");
    // LeNet-5: conv1, conv2, fc1, fc2, fc3, each a weight and a bias.
    expect(out).toContain("10 tensors; round trip exact");
  });

  it("onnx: onnxruntime and the re-imported model answer as loom does", async () => {
    const out = await runExample("onnx", ["3"]);
    expect(out).toMatch(/opset 13, ops Conv /);
    expect(out).toContain("params.conv.w, params.conv.b, params.bn.gamma, params.bn.beta");
    // onnxruntime sums in another order (float32): within 1e-5; the import is loom's own graph.
    const [ort, imported] = numbers(out, /max difference ([\d.e+-]+)/);
    expect(ort).toBeLessThan(1e-5);
    expect(imported).toBeLessThan(1e-6);
  });

  it("mnist-cnn: learns digits, and the reloaded model predicts what the trained one did", async () => {
    const out = await runExample("mnist-cnn", [], { LIMIT: "600", EPOCHS: "2" });
    const [accuracy] = numbers(out, /test accuracy ([\d.]+)%/);
    // evaluate's accuracy (the eval graph) and the confusion matrix of predict's logits (host
    // arg-max) count the same digits; top-2 is at least top-1.
    const [diagonal, count] = /confusion matrix diagonal (\d+) of (\d+)/
      .exec(out)!
      .slice(1)
      .map(Number);
    expect(((diagonal! / count!) * 100).toFixed(1)).toBe(accuracy!.toFixed(1));
    expect(numbers(out, /top-2 accuracy ([\d.]+)%/)[0]).toBeGreaterThanOrEqual(accuracy!);
    // 540 training digits, two epochs: well above chance (10%).
    expect(accuracy).toBeGreaterThan(40);
    const predicted = /predicted +([\d ]+)/.exec(out)![1]!.trim();
    const reloaded = /reloaded +([\d ]+)/.exec(out)![1]!.trim();
    expect(predicted.split(" ")).toHaveLength(8);
    expect(reloaded).toBe(predicted);
  });

  // Last, so that it sees the runs above (it is skipped with them under a -t filter).
  it("every output the guides show belongs to an example run above as documented", () => {
    expect(documented.length).toBeGreaterThan(0);
    expect(documented.map((b) => b.example).filter((e) => !checked.has(e))).toEqual([]);
  });
});
