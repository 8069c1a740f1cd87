import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { ModelVars } from "@loom/models";
import { encodeCheckpoint, getModel, initModel, runMeta } from "@loom/models";
import { readCheckpoint } from "./read-checkpoint";

const config = (model: string) => ({ model, dropout: 0, batchNorm: false, optimizer: "adam" });

describe("readCheckpoint", () => {
  const fresh = (model: string): Promise<ModelVars> =>
    initModel(cpuBackend(), getModel(model).layer, 0, { shape: ["N", 1, 28, 28] });

  it("reads a run's checkpoint: the model, its variables, optimizer state, epoch and seed", async () => {
    const vars = await fresh("mlp");
    const bytes = encodeCheckpoint({
      params: vars.params,
      state: vars.state,
      optState: { mu: vars.params },
      step: 250,
      meta: runMeta(config("mlp"), 2, 9),
    });
    const read = readCheckpoint(bytes, "run.safetensors");
    expect(read.config).toEqual(config("mlp"));
    expect([read.state.epoch, read.state.step, read.seed]).toEqual([2, 250, 9]);
    const w = (read.state.params as { fc1: { w: HostTensor } }).fc1.w;
    expect(w.shape).toEqual([256, 784]);
    expect(Array.from(w.data.subarray(0, 5))).toEqual(
      Array.from((vars.params as { fc1: { w: HostTensor } }).fc1.w.data.subarray(0, 5)),
    );
    expect(Object.keys(read.state.optState)).toEqual(["mu"]);
  });

  it("refuses files that are not a 28x28-digit model's, naming the file and the problem", async () => {
    const mlp = await fresh("mlp");
    const lenet = await fresh("lenet");
    const cases: [Uint8Array, RegExp][] = [
      [
        encodeCheckpoint({ params: mlp.params, step: 0 }),
        /^checkpoint: a.safetensors has no loom model configuration/,
      ],
      [
        encodeCheckpoint({ params: {}, step: 0, meta: runMeta(config("alexnet"), 1, 0) }),
        /a.safetensors holds a alexnet, which takes 3x224x224 images, not 28x28 digits/,
      ],
      [
        encodeCheckpoint({ params: lenet.params, step: 0, meta: runMeta(config("mlp"), 1, 0) }),
        /checkpoint does not match the expected trees: params.fc1.w: expected f32\[256,784\]/,
      ],
      [
        encodeCheckpoint({ params: mlp.params, step: 0, meta: runMeta(config("unet"), 1, 0) }),
        /unknown model "unet"/,
      ],
    ];
    for (const [bytes, message] of cases)
      expect(() => readCheckpoint(bytes, "a.safetensors")).toThrow(message);
  });

  it("refuses non-finite parameters, which `encodeCheckpoint` only writes when told to", async () => {
    const vars = await fresh("mlp");
    const out = (vars.params as { out: { b: HostTensor } }).out.b;
    const poisoned = new Float32Array(out.data);
    poisoned[3] = NaN;
    const params = {
      ...vars.params,
      out: { ...(vars.params as { out: object }).out, b: { ...out, data: poisoned } },
    };
    const bytes = encodeCheckpoint(
      { params, state: vars.state, step: 1, meta: runMeta(config("mlp"), 1, 0) },
      { allowNonFinite: true },
    );
    // The loader every caller shares refuses it; the app names the file in front of the message.
    expect(() => readCheckpoint(bytes, "nan.safetensors")).toThrow(
      /^checkpoint: params\.out\.b\[3\] is not a finite number \(NaN\)/,
    );
    expect(() => readCheckpoint(bytes, "nan.safetensors")).toThrow(
      expect.objectContaining({ code: "non_finite" }),
    );
  });

  it("refuses a garbled epoch or seed instead of reading it as 0", async () => {
    const vars = await fresh("mlp");
    for (const [key, value] of [
      ["epoch", "garbage"],
      ["seed", "-1"],
    ]) {
      const bytes = encodeCheckpoint({
        params: vars.params,
        state: vars.state,
        step: 1,
        meta: { ...runMeta(config("mlp"), 2, 9), [key!]: value! },
      });
      expect(() => readCheckpoint(bytes, "g.safetensors")).toThrow(
        `g.safetensors: metadata ${key} is ${JSON.stringify(value)}, not a whole number`,
      );
    }
  });
});
