import type { FileHandle } from "node:fs/promises";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LoomError } from "@loom/graph";
import { hostTensor } from "@loom/ops";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { saveCheckpoint } from "./file";

/** Which file-system step the next save fails at; set by each test. */
const failure = vi.hoisted(() => ({ at: "none" as "none" | "rename" | "write" }));

vi.mock("node:fs/promises", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs/promises")>();
  const diskFull = () =>
    Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
  return {
    ...fs,
    rename: async (from: string, to: string) => {
      if (failure.at === "rename") throw diskFull();
      return fs.rename(from, to);
    },
    open: async (...args: Parameters<typeof fs.open>) => {
      const handle: FileHandle = await fs.open(...args);
      if (failure.at !== "write" || !String(args[0]).includes(".tmp-")) return handle;
      // Half the bytes reach the disk, then the disk is full.
      return Object.assign(Object.create(handle) as FileHandle, {
        writeFile: async (data: Uint8Array) => {
          await handle.write(data.subarray(0, data.length >> 1));
          throw diskFull();
        },
        close: () => handle.close(),
      });
    },
  };
});

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "loom-ckpt-atomic-"));
  failure.at = "none";
});
afterEach(async () => {
  failure.at = "none";
  await rm(dir, { recursive: true, force: true });
});

describe("a save that fails part-way", () => {
  it.each(["write", "rename"] as const)(
    "at %s leaves the saved file byte-identical, and no temp or lock file",
    async (at) => {
      const path = join(dir, "run.safetensors");
      await saveCheckpoint(path, { params: { w: hostTensor([1, 2, 3], [3]) }, step: 1 });
      const before = await readFile(path);
      failure.at = at;
      let caught: unknown;
      try {
        await saveCheckpoint(path, { params: { w: hostTensor([4, 5, 6], [3]) }, step: 2 });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(LoomError);
      expect((caught as LoomError).code).toBe("io");
      expect((caught as LoomError).message).toMatch(/ENOSPC/);
      expect(Buffer.compare(await readFile(path), before)).toBe(0);
      expect(await readdir(dir)).toEqual(["run.safetensors"]);
    },
  );
});
