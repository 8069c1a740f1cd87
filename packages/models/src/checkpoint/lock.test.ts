import { readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { hostTensor } from "@loom/ops";
import { describe, expect, it } from "vitest";
import { rejection } from "@loom/testing";
import { tempDirEach } from "@loom/testing/node";
import type { CheckpointBundle } from "./bundle";
import { loadCheckpoint, lockCheckpoint, saveCheckpoint } from "./file";

const dir = tempDirEach("loom-ckpt-lock-");

const bundle = (scale: number): CheckpointBundle => ({
  params: { w: hostTensor([scale], [1]) },
  step: scale,
});

describe("lockCheckpoint", () => {
  it("holds a checkpoint for a whole run: its saves go through, everyone else's are refused", async () => {
    const path = join(dir(), "run.safetensors");
    const lock = await lockCheckpoint(path);
    await saveCheckpoint(path, bundle(1), { lock });
    await saveCheckpoint(path, bundle(2), { lock });
    expect((await readdir(dir())).sort()).toEqual(["run.safetensors", "run.safetensors.lock"]);
    expect((await rejection(saveCheckpoint(path, bundle(3)))).message).toMatch(/locked by/);
    expect((await rejection(lockCheckpoint(path))).message).toContain(`${path}.lock`);
    await lock.release();
    await lock.release();
    expect(await readdir(dir())).toEqual(["run.safetensors"]);
    const back = await loadCheckpoint(path);
    expect(Array.from((back.params as { w: HostTensor }).w.data)).toEqual([2]);
    await saveCheckpoint(path, bundle(4));
  });

  it("a lock for one file does not let a save write another", async () => {
    const lock = await lockCheckpoint(join(dir(), "a.safetensors"));
    const e = await rejection(saveCheckpoint(join(dir(), "b.safetensors"), bundle(1), { lock }));
    expect(e.code).toBe("invalid_argument");
    await lock.release();
    expect(await readdir(dir())).toEqual([]);
  });

  it("a link and its target share one lock", async () => {
    const real = join(dir(), "real.safetensors");
    await symlink("real.safetensors", join(dir(), "link.safetensors"));
    const lock = await lockCheckpoint(join(dir(), "link.safetensors"));
    expect(lock.lockPath).toBe(`${real}.lock`);
    await rejection(lockCheckpoint(real));
    await lock.release();
  });

  it("never takes over a lock of another host, or one it cannot read", async () => {
    const path = join(dir(), "run.safetensors");
    const lockPath = `${path}.lock`;
    const foreign = JSON.stringify({ pid: 2 ** 30, host: "elsewhere", nonce: "n" });
    for (const content of [foreign, "", "{not json"]) {
      await writeFile(lockPath, content);
      const e = await rejection(saveCheckpoint(path, bundle(1)));
      expect(e.message).toContain(lockPath);
      expect(await readFile(lockPath, "utf8")).toBe(content);
    }
    expect(await readdir(dir())).toEqual(["run.safetensors.lock"]);
  });

  it("release leaves a lock file that is no longer its own", async () => {
    const path = join(dir(), "run.safetensors");
    const lock = await lockCheckpoint(path);
    await writeFile(lock.lockPath, "someone else's");
    await lock.release();
    expect(await readFile(lock.lockPath, "utf8")).toBe("someone else's");
  });

  it("two saves racing for one file: each completes or is refused with a LoomError; the file is whole", async () => {
    const path = join(dir(), "run.safetensors");
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map((s) => saveCheckpoint(path, bundle(s))),
    );
    for (const r of results) {
      if (r.status === "rejected") {
        expect(r.reason).toBeInstanceOf(LoomError);
        expect((r.reason as LoomError).message).toMatch(/locked by/);
      }
    }
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
    const back = await loadCheckpoint(path);
    expect([1, 2, 3, 4]).toContain(back.step);
    expect(await readdir(dir())).toEqual(["run.safetensors"]);
  });
});
