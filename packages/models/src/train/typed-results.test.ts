import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { BACKENDS } from "@loom/testing";
import type { Tree } from "@loom/ops";
import { nn, optim } from "@loom/ops";
import { decodeCheckpoint, encodeCheckpoint } from "../checkpoint/bundle";
import { loadCheckpoint, saveCheckpoint } from "../checkpoint/file";
import { fit } from "./fit";
import { initModel } from "./init";

// fit and the checkpoint readers give back the model's typed trees: `params.fc.w` with no cast.
describe("fit, decodeCheckpoint and loadCheckpoint return typed trees", () => {
  const model = nn.sequential({ fc: nn.dense(2), bn: nn.batchNorm() });
  const train = {
    images: new Float32Array([0, 1, 1, 0, 1, 1, 0, 0]),
    labels: new Int32Array([0, 1, 1, 0]),
    count: 4,
    shape: [2],
  };

  it("types fit's result, and the checkpoints read back with its variables as `expected`", async () => {
    const backend = BACKENDS.cpu.make();
    const start = await initModel(backend, model, 0, { shape: [4, 2] });
    const r = await fit({
      backend,
      model,
      optimizer: optim.sgd(0.1),
      train,
      epochs: 1,
      batchSize: 4,
      seed: 0,
      start,
    });
    expectTypeOf(r.state.params.fc.w).toEqualTypeOf<HostTensor>();
    expectTypeOf(r.state.state.bn.mean).toEqualTypeOf<HostTensor>();
    // @ts-expect-error the model has no layer named out
    expect(r.state.params.out).toBeUndefined();
    // One step of SGD moved the weights: the typed path reads the trained values.
    expect(Array.from(r.state.params.fc.w.data)).not.toEqual(Array.from(start.params.fc.w.data));

    const bytes = encodeCheckpoint({ params: r.state.params, state: r.state.state });
    const decoded = decodeCheckpoint(bytes, { params: start.params, state: start.state });
    expectTypeOf(decoded.params.fc.w).toEqualTypeOf<HostTensor>();
    expectTypeOf(decoded.state.bn.var).toEqualTypeOf<HostTensor>();
    expect(Array.from(decoded.params.fc.w.data)).toEqual(Array.from(r.state.params.fc.w.data));
    // Without `expected`, the file's own structure: untyped.
    expectTypeOf(decodeCheckpoint(bytes).params).toEqualTypeOf<Tree<HostTensor>>();

    const dir = await mkdtemp(join(tmpdir(), "loom-typed-"));
    try {
      const file = join(dir, "m.safetensors");
      await saveCheckpoint(file, { params: r.state.params, state: r.state.state });
      const loaded = await loadCheckpoint(file, { params: start.params, state: start.state });
      expectTypeOf(loaded.params.fc.b).toEqualTypeOf<HostTensor | undefined>();
      expect(Array.from(loaded.state.bn.mean.data)).toEqual(Array.from(r.state.state.bn.mean.data));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
