import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectUsageError, lastJson, loom } from "./testing/run-loom";

// `loom train` and `loom evaluate` in-process, on a few hundred digits (--limit) to stay fast.

describe("loom train and evaluate", () => {
  let dir: string;
  let mlpCheckpoint: string;
  let trained: Record<string, unknown>;
  let trainOut: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loom-cli-test-"));
    mlpCheckpoint = join(dir, "mlp.safetensors");
    const r = await loom(
      "train",
      "--model",
      "mlp",
      "--epochs",
      "1",
      "--json",
      "--limit",
      "256",
      "--checkpoint",
      mlpCheckpoint,
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    trainOut = r.out;
    trained = lastJson(r.out);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("train --json prints a summary with every key as its last line", () => {
    expect(Object.keys(trained).sort()).toEqual(
      [
        "backend",
        "epochs",
        "model",
        "stepsPerSecond",
        "testAccuracy",
        "testLoss",
        "trainSeconds",
      ].sort(),
    );
    expect(trained["model"]).toBe("mlp");
    expect(trained["backend"]).toBe("cpu");
    expect(trained["epochs"]).toBe(1);
    const acc = trained["testAccuracy"] as number;
    // 256 digits for 4 steps: above chance (0.1) but not trained; the accuracy is k / 2000.
    expect(acc).toBeGreaterThan(0.1);
    expect(acc).toBeLessThanOrEqual(1);
    expect(Number.isInteger(acc * 2000)).toBe(true);
    expect(trained["testLoss"]).toBeGreaterThan(0);
    expect(trained["trainSeconds"]).toBeGreaterThan(0);
    // --limit 256 with the default batch of 64: 4 steps.
    expect(trained["stepsPerSecond"] as number).toBeCloseTo(
      4 / (trained["trainSeconds"] as number),
      6,
    );
    expect(trainOut).toMatch(/^epoch 1\/1: train loss \d+\.\d{4} acc \d\.\d{4} \| /m);
    expect(trainOut).toContain(`accuracy ${acc.toFixed(4)} on 2000 digits`);
  });

  it("evaluate --checkpoint reports the accuracy and loss the training run reported", async () => {
    const r = await loom("evaluate", "--checkpoint", mlpCheckpoint, "--json");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const j = lastJson(r.out);
    expect(j["model"]).toBe("mlp");
    expect(j["testAccuracy"]).toBe(trained["testAccuracy"]);
    expect(j["testLoss"]).toBeCloseTo(trained["testLoss"] as number, 6);
  });

  it.each([
    [["--model", "resnet9000"], /resnet9000.*invalid.*perceptron, mlp, lenet/],
    [["--optimizer", "lbfgs"], /lbfgs.*invalid.*sgd, momentum/],
    [["--lr", "0"], /--lr must be a positive number/],
    [["--lr", "-0.1"], /--lr must be a positive number/],
    [["--batch", "0"], /--batch must be a positive integer/],
    [["--batch", "-1"], /--batch must be a positive integer/],
    [["--batch", "2.5"], /--batch must be a positive integer/],
    [["--epochs", "0"], /--epochs must be a positive integer/],
    [["--limit", "0"], /--limit must be a positive integer/],
    [["--batch", "300", "--limit", "256"], /--batch 300 is larger than the 256 training digits/],
  ])("train %j exits 2 with a one-line message", async (args, message) => {
    expectUsageError(await loom("train", "--model", "mlp", ...args), message);
  });

  it("refuses an existing checkpoint without --resume or --overwrite, leaving it unchanged", async () => {
    const before = await readFile(mlpCheckpoint);
    const r = await loom("train", "--model", "mlp", "--limit", "64", "--checkpoint", mlpCheckpoint);
    expectUsageError(r, /exists; pass --resume to continue it or --overwrite to replace it/);
    expect((await readFile(mlpCheckpoint)).equals(before)).toBe(true);
  });

  it("refuses to --resume a checkpoint of another model, leaving it unchanged", async () => {
    const before = await readFile(mlpCheckpoint);
    const r = await loom(
      "train",
      "--model",
      "perceptron",
      "--resume",
      "--limit",
      "64",
      "--checkpoint",
      mlpCheckpoint,
    );
    expectUsageError(r, /holds \{"model":"mlp".*not \{"model":"perceptron".*same --model/);
    expect((await readFile(mlpCheckpoint)).equals(before)).toBe(true);
  });

  it("refuses to --resume with another --optimizer, leaving the checkpoint unchanged", async () => {
    const before = await readFile(mlpCheckpoint);
    const r = await loom(
      "train",
      "--model",
      "mlp",
      "--optimizer",
      "sgd",
      "--resume",
      "--limit",
      "64",
      "--checkpoint",
      mlpCheckpoint,
    );
    expectUsageError(
      r,
      /"optimizer":"adam".*"optimizer":"sgd".*same --model, --dropout, --bn and --optimizer/,
    );
    expect((await readFile(mlpCheckpoint)).equals(before)).toBe(true);
  });

  it("refuses to --resume with another --seed, leaving the checkpoint unchanged", async () => {
    const before = await readFile(mlpCheckpoint);
    const r = await loom(
      "train",
      "--model",
      "mlp",
      "--resume",
      "--seed",
      "1",
      "--limit",
      "64",
      "--checkpoint",
      mlpCheckpoint,
    );
    expectUsageError(r, /was trained with --seed 0, not 1; resume with --seed 0/);
    expect((await readFile(mlpCheckpoint)).equals(before)).toBe(true);
  });

  it("--resume continues from the checkpoint's epoch", async () => {
    const path = join(dir, "resume.safetensors");
    await copyFile(mlpCheckpoint, path);
    const r = await loom(
      "train",
      "--model",
      "mlp",
      "--epochs",
      "2",
      "--resume",
      "--limit",
      "256",
      "--checkpoint",
      path,
      "--json",
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/^epoch 1\/2/m);
    expect(r.out).toMatch(/^epoch 2\/2: /m);
    expect(lastJson(r.out)["epochs"]).toBe(1);
    expect((await readFile(path)).equals(await readFile(mlpCheckpoint))).toBe(false);
  });

  it("says on stderr when --patience cannot stop the run (fit's onLog), keeping stdout's JSON", async () => {
    const r = await loom(
      "train",
      "--model",
      "perceptron",
      "--epochs",
      "1",
      "--patience",
      "2",
      "--limit",
      "256",
      "--val-split",
      "64",
      "--json",
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(
      /patience \(2\) is not below the epochs to run \(1\): it cannot stop this run/,
    );
    expect(lastJson(r.out)["epochs"]).toBe(1);
  });

  it("evaluate refuses a corrupted, truncated or foreign checkpoint with a clear one-line message", async () => {
    const bytes = await readFile(mlpCheckpoint);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 100]! ^= 0x40;
    const cases: [string, Uint8Array, RegExp][] = [
      ["flipped.safetensors", flipped, /checkpoint: .*flipped\.safetensors: .*corrupted/],
      ["truncated.safetensors", bytes.subarray(0, bytes.length - 1000), /truncated\.safetensors/],
      ["text.safetensors", new TextEncoder().encode("not a checkpoint\n"), /text\.safetensors/],
    ];
    for (const [name, content, message] of cases) {
      const path = join(dir, name);
      await writeFile(path, content);
      expectUsageError(await loom("evaluate", "--checkpoint", path), message);
    }
    expectUsageError(
      await loom("evaluate", "--checkpoint", join(dir, "missing.safetensors")),
      /cannot read .*missing\.safetensors/,
    );
  });
});
