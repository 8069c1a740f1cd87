import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend, referenceBackend } from "@loom/backend-cpu";
import { hostTensor } from "./host";
import { input } from "./core";
import { predict } from "./predict";
import { specsOf } from "./specs-of";
import * as nn from "./nn";

// A dense layer then batch norm in inference mode, against the same arithmetic written in
// plain JS: y = gamma * (x W^T + b - mean) / sqrt(var + eps) + beta.
const W = [1, -2, 0.5, 3, 0.25, -1]; // [out 2, in 3]
const b = [0.5, -0.25];
const params = {
  fc: { w: hostTensor(W, [2, 3]), b: hostTensor(b, [2]) },
  bn: { gamma: hostTensor([2, 0.5], [2]), beta: hostTensor([0.1, -0.1], [2]) },
};
const state = { fc: {}, bn: { mean: hostTensor([1, -1], [2]), var: hostTensor([4, 0.25], [2]) } };
const model = nn.sequential({ fc: nn.dense(2), bn: nn.batchNorm() });

const reference = (x: readonly number[], rows: number): number[] =>
  Array.from({ length: rows * 2 }, (_, i) => {
    const [r, o] = [Math.floor(i / 2), i % 2];
    let z = b[o]!;
    for (let j = 0; j < 3; j++) z += x[r * 3 + j]! * W[o * 3 + j]!;
    const s = state.bn;
    const g = params.bn.gamma.data[o]!;
    return (g * (z - s.mean.data[o]!)) / Math.sqrt(s.var.data[o]! + 1e-5) + params.bn.beta.data[o]!;
  });

describe("predict", () => {
  it("runs the inference-mode forward pass on host data, for any batch size", async () => {
    const backend = cpuBackend({ threads: 1 });
    const run = predict(model, params, state, { backend });
    const x2 = [1, 2, 3, -1, 0, 4];
    const y2 = await run(hostTensor(x2, [2, 3]));
    expect(y2.shape).toEqual([2, 2]);
    Array.from(y2.data).forEach((v, i) => expect(v).toBeCloseTo(reference(x2, 2)[i]!, 5));
    const x3 = [...x2, 0.5, 0.5, -2];
    const y3 = await run(hostTensor(x3, [3, 3]));
    Array.from(y3.data).forEach((v, i) => expect(v).toBeCloseTo(reference(x3, 3)[i]!, 5));
    run.dispose();
    backend.dispose();
  });

  it('runs each new batch size through the pipeline, named "predict"', async () => {
    const traced: string[] = [];
    const sink = {
      stage: (r: { name: string }, run?: string) => void traced.push(`${run}:${r.name}`),
    };
    const run = predict(model, params, state, {
      backend: referenceBackend(),
      pipeline: { sink },
    });
    await run(hostTensor([1, 2, 3], [1, 3]));
    await run(hostTensor([1, 2, 3, 4, 5, 6], [2, 3]));
    // Two batch sizes: two executables, both compiles named after the function.
    expect(traced.filter((n) => n === "predict:input")).toHaveLength(2);
    run.dispose();
  });

  it("needs no state for stateless models", async () => {
    const relu = predict(nn.relu(), {}, undefined, { backend: referenceBackend() });
    const y: HostTensor = await relu(hostTensor([-1, 2, -3, 4], [2, 2]));
    expect(Array.from(y.data)).toEqual([0, 2, 0, 4]);
  });

  it("says what to do with a missing backend, a layer factory, graph tensors", async () => {
    expect(() => predict(model, params, state)).toThrow(/no backend: pass \{ backend/);
    expect(() => predict(nn.relu as never, {}, {}, { backend: referenceBackend() })).toThrow(
      /call it: nn.relu\(\)/,
    );
    const graphParams = { fc: { w: input("w", [2, 3]) } };
    expect(() => predict(model, graphParams as never, {}, { backend: referenceBackend() })).toThrow(
      LoomError,
    );
    const run = predict(model, params, state, { backend: referenceBackend() });
    await expect(run(input("x", [1, 3]) as never)).rejects.toThrow(
      /graph tensor; predict takes host data/,
    );
  });

  it("specsOf gives the shapes and dtypes of a host tree", () => {
    expect(specsOf({ a: hostTensor([1, 2], [2], "int32"), b: [hostTensor([1], [])] })).toEqual({
      a: { shape: [2], dtype: "int32" },
      b: [{ shape: [], dtype: "float32" }],
    });
  });
});
