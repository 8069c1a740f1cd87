import { spawnSync } from "node:child_process";
import { readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { hostTensor } from "@loom/ops";
import { describe, expect, it } from "vitest";
import { rejection } from "@loom/testing";
import { tempDirEach } from "@loom/testing/node";
import type { CheckpointBundle } from "./bundle";
import { encodeCheckpoint } from "./bundle";
import { loadCheckpoint, saveCheckpoint } from "./file";
import { configOf, runMeta } from "./run-config";

const dir = tempDirEach("loom-ckpt-safety-");

const bundle = (scale: number, meta: Record<string, string> = {}): CheckpointBundle => ({
  params: { w: hostTensor([scale, 2 * scale], [2]) },
  step: scale,
  meta,
});

const w = (params: unknown): number[] => Array.from((params as { w: HostTensor }).w.data);

/** The pid of a process that has exited (the kernel does not reuse pids at once). */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
};

describe("writing checkpoints safely", () => {
  it("a second writer is refused while a live run holds the lock, naming the file and the lock", async () => {
    const path = join(dir(), "run.safetensors");
    await saveCheckpoint(path, bundle(1));
    const before = await readFile(path);
    const lock = `${path}.lock`;
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), nonce: "x" }));
    const e = await rejection(saveCheckpoint(path, bundle(2)));
    expect(e.message).toContain(path);
    expect(e.message).toContain(lock);
    expect(e.message).toMatch(/locked by another run \(pid \d+/);
    expect(Buffer.compare(await readFile(path), before)).toBe(0);
    expect(await readFile(lock, "utf8")).toContain(String(process.pid));
  });

  it("a lock left by a process that has died is taken over, and removed after the write", async () => {
    const path = join(dir(), "run.safetensors");
    const pid = deadPid();
    await writeFile(`${path}.lock`, JSON.stringify({ pid, host: hostname(), nonce: "x" }));
    await saveCheckpoint(path, bundle(3));
    expect(w((await loadCheckpoint(path)).params)).toEqual([3, 6]);
    expect(await readdir(dir())).toEqual(["run.safetensors"]);
  });

  it("temp files of killed runs are cleaned on the next write; live ones and other files are kept", async () => {
    const path = join(dir(), "run.safetensors");
    const stale = `run.safetensors.tmp-${deadPid()}-0123456789ab`;
    const live = `run.safetensors.tmp-${process.pid}-0123456789ab`;
    const others = ["run.safetensors.tmp-notes", "other.safetensors.tmp-1-0123456789ab", "x.txt"];
    for (const name of [stale, live, ...others]) await writeFile(join(dir(), name), "partial");
    await saveCheckpoint(path, bundle(1));
    expect((await readdir(dir())).sort()).toEqual([...others, live, "run.safetensors"].sort());
  });

  it("a symbolic link is written through to its target and stays a link", async () => {
    const real = join(dir(), "real.safetensors");
    const link = join(dir(), "latest.safetensors");
    await saveCheckpoint(real, bundle(1));
    await symlink("real.safetensors", link);
    await saveCheckpoint(link, bundle(2));
    expect(await readlink(link)).toBe("real.safetensors");
    expect(w((await loadCheckpoint(real)).params)).toEqual([2, 4]);
    // A dangling link is written through too, creating its target.
    const dangling = join(dir(), "next.safetensors");
    await symlink("made.safetensors", dangling);
    await saveCheckpoint(dangling, bundle(5));
    expect(await readlink(dangling)).toBe("made.safetensors");
    expect(w((await loadCheckpoint(join(dir(), "made.safetensors"))).params)).toEqual([5, 10]);
  });

  it("an empty path is refused, saving and loading", async () => {
    const e = await rejection(saveCheckpoint("", bundle(1)));
    expect(e.code).toBe("invalid_argument");
    expect(e.message).toMatch(/checkpoint path is ""/);
    expect((await rejection(loadCheckpoint(""))).code).toBe("invalid_argument");
  });
});

describe("loading checkpoints safely", () => {
  it("refuses NaN and Inf in the one loader every caller uses, naming the file and the tensor", async () => {
    const path = join(dir(), "nan.safetensors");
    const poisoned = { params: { w: hostTensor([1, Infinity], [2]) }, step: 1 };
    await writeFile(path, encodeCheckpoint(poisoned, { allowNonFinite: true }));
    const e = await rejection(loadCheckpoint(path));
    expect(e.code).toBe("non_finite");
    expect(e.message).toContain(`${path}: params.w[1] is not a finite number (Infinity)`);
    const inspected = await loadCheckpoint(path, undefined, { allowNonFinite: true });
    expect(w(inspected.params)).toEqual([1, Infinity]);
  });

  it("refuses garbled epoch or seed metadata instead of resuming at epoch 0 or NaN", async () => {
    const config = { model: "mlp", dropout: 0, batchNorm: false };
    for (const [key, value] of [
      ["epoch", "garbage"],
      ["epoch", "-1"],
      ["epoch", "2.5"],
      ["epoch", ""],
      ["seed", "1e3"],
    ] as const) {
      const path = join(dir(), `${key}.safetensors`);
      await saveCheckpoint(path, bundle(1, { ...runMeta(config, 2, 7), [key]: value }));
      const ck = await loadCheckpoint(path);
      expect(() => configOf(ck.meta, path)).toThrow(LoomError);
      expect(() => configOf(ck.meta, path)).toThrow(
        new RegExp(`metadata ${key} is ${JSON.stringify(value)}, not a whole number`),
      );
    }
  });
});
