import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, lockCheckpoint, saveCheckpoint } from "@loom/models/node";
import { flattenTree, isHostTensor } from "@loom/ops";
import { runCli } from "./cli";

// The checkpoint of `loom train` (checked before training, locked for the run, never replaced by
// a diverged run) and `loom evaluate` of a non-finite checkpoint, in-process on 256 digits.

/** Runs the CLI in-process, capturing what it writes. */
const loom = async (...argv: string[]) => {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
};

/** Expects exit 2 with one line on stderr matching `message`, and no epoch trained. */
const expectRefusedBeforeTraining = (
  r: { code: number; out: string; err: string },
  message: RegExp,
) => {
  expect(r.code, r.err).toBe(2);
  expect(r.out).not.toMatch(/epoch 1\//);
  expect(r.err).toMatch(/^loom: [^\n]+\n$/);
  expect(r.err).toMatch(message);
};

const quick = ["--model", "mlp", "--epochs", "1", "--limit", "256", "--no-progress"];

describe("loom train's checkpoint", () => {
  let dir: string;
  let good: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loom-train-ck-"));
    good = join(dir, "good.safetensors");
    const r = await loom("train", ...quick, "--checkpoint", good);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is checked before the first epoch: a missing directory exits 2 at once", async () => {
    expectRefusedBeforeTraining(
      await loom("train", ...quick, "--checkpoint", "/nonexistent/x.safetensors"),
      /cannot write \/nonexistent\/x\.safetensors: directory \/nonexistent does not exist/,
    );
  });

  it("refuses --checkpoint '' instead of training and saving nothing", async () => {
    expectRefusedBeforeTraining(
      await loom("train", ...quick, "--checkpoint", ""),
      /--checkpoint needs a file name/,
    );
  });

  it("is locked for the whole run: a second run on it exits 2 and leaves the file untouched", async () => {
    const before = await readFile(good);
    // The first run's lock, as another `loom train` holds it while it trains.
    const lock = await lockCheckpoint(good);
    try {
      expectRefusedBeforeTraining(
        await loom("train", ...quick, "--overwrite", "--checkpoint", good),
        /good\.safetensors is locked by another run \(pid \d+ on .*\): lock file .*good\.safetensors\.lock exists/,
      );
      expect((await readFile(good)).equals(before)).toBe(true);
    } finally {
      await lock.release();
    }
  });

  it("releases the lock when the run ends, however it ends", async () => {
    expect(existsSync(`${good}.lock`)).toBe(false);
    const path = join(dir, "lock-released.safetensors");
    const ok = await loom("train", ...quick, "--checkpoint", path);
    expect(ok.code, ok.err).toBe(0);
    expect(existsSync(`${path}.lock`)).toBe(false);
    const failed = await loom(
      "train",
      ...quick,
      "--overwrite",
      "--checkpoint",
      path,
      "--batch",
      "999",
    );
    expect(failed.code).toBe(2);
    expect(existsSync(`${path}.lock`)).toBe(false);
    // The lock is free again: a new run takes it.
    const again = await loom("train", ...quick, "--overwrite", "--checkpoint", path);
    expect(again.code, again.err).toBe(0);
  });

  it("is never replaced by a run whose loss becomes NaN", async () => {
    const path = join(dir, "diverged.safetensors");
    await copyFile(good, path);
    const before = await readFile(path);
    const r = await loom(
      "train",
      ...quick,
      "--epochs",
      "2",
      "--optimizer",
      "sgd",
      "--lr",
      "1e30",
      "--overwrite",
      "--checkpoint",
      path,
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^loom: fit: the loss became NaN at epoch 1, .*nothing was saved/);
    expect((await readFile(path)).equals(before)).toBe(true);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("evaluate exits 2 naming the file and the tensor for a checkpoint holding NaN or Inf", async () => {
    for (const bad of [NaN, -Infinity]) {
      const ck = await loadCheckpoint(good);
      const first = flattenTree(ck.params, isHostTensor)[0]!;
      first.leaf.data[3] = bad;
      const meta = Object.fromEntries(
        Object.entries(ck.meta).filter(([k]) => !k.startsWith("loom.")),
      );
      const path = join(dir, `non-finite-${bad}.safetensors`);
      await saveCheckpoint(
        path,
        { params: ck.params, state: ck.state, optState: ck.optState, step: ck.step, meta },
        { allowNonFinite: true },
      );
      const r = await loom("evaluate", "--checkpoint", path);
      expect(r.code, r.err).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toMatch(/^loom: [^\n]+\n$/);
      expect(r.err).toContain(`non-finite-${bad}.safetensors`);
      expect(r.err).toContain(`params.${first.path}[3]`);
      expect(r.err).toMatch(/not a finite number/);
    }
  });
});
