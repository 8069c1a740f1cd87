import { mkdir, readdir, writeFile, chmod } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rejection } from "@loom/testing";
import { tempDirEach } from "@loom/testing/node";
import { checkWritable } from "./file";

const dir = tempDirEach("loom-ckpt-writable-");

describe("checkWritable", () => {
  it("passes for a new or existing file in a writable directory, leaving nothing behind", async () => {
    await checkWritable(join(dir(), "new.safetensors"));
    await writeFile(join(dir(), "old.safetensors"), "x");
    await checkWritable(join(dir(), "old.safetensors"));
    expect(await readdir(dir())).toEqual(["old.safetensors"]);
  });

  it("refuses, before any training, paths that a save would fail on", async () => {
    await mkdir(join(dir(), "sub"));
    await writeFile(join(dir(), "file"), "x");
    const cases: [string, RegExp][] = [
      [join(dir(), "nonexistent", "x.safetensors"), /directory .*nonexistent does not exist/],
      [join(dir(), "file", "x.safetensors"), /file is not a directory/],
      [join(dir(), "sub"), /is a directory/],
    ];
    for (const [path, message] of cases) {
      const e = await rejection(checkWritable(path));
      expect(e.code).toBe("io");
      expect(e.message).toContain(path);
      expect(e.message).toMatch(message);
    }
    expect((await rejection(checkWritable(""))).code).toBe("invalid_argument");
  });

  it("refuses a file whose lock a live run holds", async () => {
    const path = join(dir(), "run.safetensors");
    await writeFile(
      `${path}.lock`,
      JSON.stringify({ pid: process.pid, host: hostname(), nonce: "n" }),
    );
    expect((await rejection(checkWritable(path))).message).toMatch(/locked by/);
  });

  it.skipIf(process.getuid?.() === 0)("refuses a read-only directory", async () => {
    await chmod(dir(), 0o500);
    expect((await rejection(checkWritable(join(dir(), "x.safetensors")))).code).toBe("io");
  });
});
