import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { HostTensor } from "@loom/graph";
import { hostTensor } from "@loom/ops";
import { describe, expect, it } from "vitest";
import { rejection } from "@loom/testing";
import { tempDirEach } from "@loom/testing/node";
import type { CheckpointBundle } from "./bundle";
import { loadCheckpoint, saveCheckpoint } from "./file";

const dir = tempDirEach("loom-ckpt-");

const bundle = (scale: number): CheckpointBundle => ({
  params: {
    dense: {
      w: hostTensor(
        [1, 2, 3, 4].map((v) => v * scale),
        [2, 2],
      ),
      b: hostTensor([scale], [1]),
    },
  },
  state: {},
  optState: { count: hostTensor([scale], [], "int32") },
  step: scale,
  meta: { model: "mlp" },
});

const w = (params: unknown): number[] =>
  Array.from((params as { dense: { w: HostTensor } }).dense.w.data);

describe("saveCheckpoint / loadCheckpoint", () => {
  it("round-trips through a file, and a second save replaces the first", async () => {
    const path = join(dir(), "model.safetensors");
    await saveCheckpoint(path, bundle(1));
    await saveCheckpoint(path, bundle(2));
    const back = await loadCheckpoint(path);
    expect(back.step).toBe(2);
    expect(w(back.params)).toEqual([2, 4, 6, 8]);
    expect(Array.from((back.optState as { count: HostTensor }).count.data)).toEqual([2]);
    expect(back.meta).toEqual({ model: "mlp" });
    expect(await readdir(dir())).toEqual(["model.safetensors"]);
  });

  it("a failed serialisation leaves the old file byte-identical and no temp files", async () => {
    const path = join(dir(), "model.safetensors");
    await saveCheckpoint(path, bundle(1));
    const before = await readFile(path);
    const invalidLeaf = {
      ...bundle(2),
      params: { dense: { w: "not a tensor" } },
    } as unknown as CheckpointBundle;
    expect((await rejection(saveCheckpoint(path, invalidLeaf))).code).toBe("invalid_argument");
    const diverged = { ...bundle(2), params: { dense: { w: hostTensor([NaN], [1]) } } };
    expect((await rejection(saveCheckpoint(path, diverged))).code).toBe("non_finite");
    expect(Buffer.compare(await readFile(path), before)).toBe(0);
    expect(await readdir(dir())).toEqual(["model.safetensors"]);
  });

  it("a failed write (rename onto a directory) removes its temp file and reports io", async () => {
    const path = join(dir(), "taken");
    await mkdir(path);
    await writeFile(join(path, "keep"), "x");
    const e = await rejection(saveCheckpoint(path, bundle(1)));
    expect(e.code).toBe("io");
    expect((await readdir(dir())).sort()).toEqual(["taken"]);
    expect(await readdir(path)).toEqual(["keep"]);
  });

  it("a missing file is an io error naming the path", async () => {
    const e = await rejection(loadCheckpoint(join(dir(), "nope.safetensors")));
    expect(e.code).toBe("io");
    expect(e.message).toContain("nope.safetensors");
  });

  it("a corrupt file is checkpoint_invalid naming the path", async () => {
    const path = join(dir(), "model.safetensors");
    await saveCheckpoint(path, bundle(1));
    const bytes = await readFile(path);
    bytes[bytes.length - 1]! ^= 0x40;
    await writeFile(path, bytes);
    const e = await rejection(loadCheckpoint(path));
    expect(e.code).toBe("checkpoint_invalid");
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/corrupted/);
  });

  it("loading against an expected tree with another shape names the tensor", async () => {
    const path = join(dir(), "model.safetensors");
    await saveCheckpoint(path, bundle(1));
    const expected = {
      params: { dense: { w: hostTensor(new Float32Array(6), [3, 2]), b: { shape: [1] } } },
    };
    const e = await rejection(loadCheckpoint(path, expected));
    expect(e.code).toBe("checkpoint_invalid");
    expect(e.message).toContain("params.dense.w: expected f32[3,2], file has f32[2,2]");
    const ok = await loadCheckpoint(path, {
      params: { dense: { w: { shape: [2, 2] }, b: { shape: [1] } } },
      optState: { count: { shape: [], dtype: "int32" } },
    });
    expect(w(ok.params)).toEqual([1, 2, 3, 4]);
  });
});
