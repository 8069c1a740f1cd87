import { describe, expect, it } from "vitest";
import { runCli } from "./cli";

// `loom train` refuses bad options before it loads the data or builds a graph.

const loom = async (...argv: string[]) => {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
};

describe("loom train's options", () => {
  it.each([
    ["shift:1000", /"shift:1000": the shift must be at most 27 for 28x28 images, got 1000/],
    ["shift:10000", /the shift must be at most 27 for 28x28 images, got 10000/],
    ["shift:1e9", /the shift must be at most 27 for 28x28 images, got 1000000000/],
    ["crop:100000", /the crop padding must be at most 27 for 28x28 images, got 100000/],
    ["rotate:1e9", /the angle must be in \[0, 180\]/],
    ["noise:1e300", /the noise std must be in \[0, 1\]/],
  ])("--augment %s exits 2 at once with a one-line message", async (spec, message) => {
    const t0 = performance.now();
    const r = await loom("train", "--model", "mlp", "--limit", "64", "--augment", spec);
    expect(r.code, r.err).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^loom: augment: [^\n]+\n$/);
    expect(r.err).toMatch(message);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it.each([
    [["--epochs", ""], /--epochs must be a positive integer/],
    [["--epochs", "1e300"], /--epochs must be a positive integer/],
    [["--val-split", ""], /--val-split must be a non-negative integer/],
    [["--val-split", " "], /--val-split must be a non-negative integer/],
    [["--seed", "1e309"], /--seed must be a non-negative integer/],
    [["--lr", "NaN"], /--lr must be a positive number/],
    [["--schedule", "exp:"], /arguments must be non-negative numbers/],
    [["--backend", "toString"], /unknown backend "toString"; use one of cpu, reference/],
    [["--resume"], /--resume needs --checkpoint FILE/],
    [["--checkpoint", "a\0b"], /--checkpoint must not contain a NUL byte/],
  ])("train %j exits 2 before any data is loaded", async (args, message) => {
    const r = await loom("train", "--model", "mlp", ...args);
    expect(r.code, r.err).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^loom: [^\n]+\n$/);
    expect(r.err).toMatch(message);
  });
});
