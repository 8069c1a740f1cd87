import { describe, expect, it } from "vitest";
import { BACKENDS } from "@loom/testing";
import type { Dataset } from "../data/dataset";
import { perceptron } from "../zoo/perceptron";
import { evaluate } from "./evaluate";
import { fit } from "./fit";
import { initModel } from "./init";
import { makeOptimizer } from "./recipe";

/** Four two-feature examples with the given labels. */
const data = (labels: number[]): Dataset => ({
  images: Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]),
  labels: Int32Array.from(labels),
  count: 4,
  shape: [2],
});

// Before: a label outside [0, classes) added 0 to the cross-entropy and trained on silently.
describe("labels outside [0, classes) are refused before the run", () => {
  const backend = BACKENDS.cpu.make();
  const model = perceptron(2);
  const options = async (train: Dataset, val?: Dataset) => ({
    backend,
    model,
    optimizer: makeOptimizer("sgd", 0.1),
    train,
    ...(val ? { val } : {}),
    epochs: 1,
    batchSize: 4,
    seed: 0,
    start: await initModel(backend, model, 0, { shape: ["N", 2] }),
  });

  it("in fit, for training and validation data", async () => {
    await expect(fit(await options(data([0, 1, 2, 0])))).rejects.toThrow(
      /fit: label 2 of training example 2 is not a class index in \[0, 2\)/,
    );
    await expect(fit(await options(data([0, 1, 1, 0]), data([0, -1, 1, 0])))).rejects.toThrow(
      /label -1 of validation example 1/,
    );
    const ok = await fit(await options(data([0, 1, 1, 0]), data([1, 0, 0, 1])));
    expect(ok.history).toHaveLength(1);
  });

  it("in evaluate", async () => {
    const { start } = await options(data([0, 1, 1, 0]));
    await expect(evaluate(backend, { model }, start, data([0, 1, 7, 0]))).rejects.toThrow(
      /evaluate: label 7 of the example 2/,
    );
  });
});
