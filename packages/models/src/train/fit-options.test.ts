import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { mse, nn, optim } from "@loom/ops";
import { BACKENDS } from "@loom/testing";
import type { Dataset } from "../data/dataset";
import { batches } from "./batches";
import { fit } from "./fit";
import { initModel } from "./init";
import { epochPermutation } from "./shuffle";

const backend = BACKENDS.cpu.make();

/** 64 points of y = 2 x0 - 3 x1 + 1 (the reference the fit must recover). */
const linear = (): Dataset<Float32Array> => {
  const n = 64;
  const images = new Float32Array(n * 2);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [a, b] = [((i * 7) % 13) / 13 - 0.5, ((i * 5) % 11) / 11 - 0.5];
    images.set([a, b], i * 2);
    labels[i] = 2 * a - 3 * b + 1;
  }
  return { images, labels, count: n, shape: [2], labelShape: [1] };
};

/** Four two-feature examples of two classes. */
const xor: Dataset = {
  images: Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]),
  labels: Int32Array.from([0, 1, 1, 0]),
  count: 4,
  shape: [2],
};

describe("fit for regression", () => {
  it("recovers a linear function from float targets with mse", async () => {
    const model = nn.dense(1);
    const start = await initModel(backend, model, 1, { shape: ["N", 2] });
    const r = await fit({
      backend,
      model,
      loss: mse,
      optimizer: optim.sgd(0.3),
      train: linear(),
      epochs: 60,
      batchSize: 16,
      seed: 3,
      start,
    });
    const p = r.state.params as { w: HostTensor; b: HostTensor };
    expect(p.w.data[0]).toBeCloseTo(2, 2);
    expect(p.w.data[1]).toBeCloseTo(-3, 2);
    expect(p.b.data[0]).toBeCloseTo(1, 2);
    expect(r.history.at(-1)!.train.loss).toBeLessThan(1e-4);
    expect(r.history[0]!.train.accuracy).toBeNaN();
  });

  it("asks for a loss when targets are floats", async () => {
    const model = nn.dense(1);
    const start = await initModel(backend, model, 1, { shape: ["N", 2] });
    const run = fit({
      backend,
      model,
      optimizer: optim.sgd(0.1),
      train: linear(),
      epochs: 1,
      batchSize: 8,
      seed: 0,
      start,
    });
    await expect(run).rejects.toThrow(/float32 targets, not class indices: pass a loss/);
  });
});

describe("fit counts the steps for schedules", () => {
  it("hands the run's length to an optimizer factory, as if the user had counted", async () => {
    const model = nn.sequential({ fc: nn.dense(2) });
    const start = await initModel(backend, model, 2, { shape: ["N", 2] });
    const base = { backend, model, train: xor, epochs: 3, batchSize: 2, seed: 1, start };
    const seen: unknown[] = [];
    const byFit = await fit({
      ...base,
      optimizer: (length) => {
        seen.push(length);
        return optim.sgd(optim.cosineDecay(0.5, length.totalSteps));
      },
    });
    expect(seen).toEqual([{ stepsPerEpoch: 2, totalSteps: 6 }]);
    const byHand = await fit({ ...base, optimizer: optim.sgd(optim.cosineDecay(0.5, 6)) });
    expect(byFit.state.params).toEqual(byHand.state.params);
    // And not what a wrongly counted schedule gives.
    const wrong = await fit({ ...base, optimizer: optim.sgd(optim.cosineDecay(0.5, 3)) });
    expect(wrong.state.params).not.toEqual(byHand.state.params);
  });
});

describe("early stopping that cannot trigger", () => {
  const run = async (epochs: number, val?: Dataset) => {
    const model = nn.dense(2);
    const start = await initModel(backend, model, 2, { shape: ["N", 2] });
    const logs: string[] = [];
    const r = await fit({
      backend,
      model,
      optimizer: optim.sgd(0.1),
      train: xor,
      ...(val ? { val } : {}),
      epochs,
      batchSize: 2,
      seed: 0,
      start,
      earlyStopping: { patience: 2 },
      onLog: (m) => logs.push(m),
    });
    return { r, logs };
  };

  it("warns and flags the result when epochs <= patience or there is no validation data", async () => {
    const short = await run(2, xor);
    expect(short.logs).toEqual([
      expect.stringMatching(/patience \(2\) is not below the epochs to run \(2\)/),
    ]);
    expect(short.r.earlyStoppingInactive).toBe(true);
    const noVal = await run(5);
    expect(noVal.logs).toEqual([expect.stringMatching(/no validation data was given/)]);
    expect(noVal.r.earlyStoppingInactive).toBe(true);
    const fine = await run(3, xor);
    expect(fine.logs).toEqual([]);
    expect(fine.r.earlyStoppingInactive).toBe(false);
  });
});

describe("batches", () => {
  const data = linear();
  it("gives fit's shuffled order per (seed, epoch), in batches, with the matching labels", () => {
    const got = [...batches(data, { batchSize: 10, seed: 5, epoch: 2 })];
    expect(got.map((b) => b.indices.length)).toEqual([10, 10, 10, 10, 10, 10, 4]);
    const order = got.flatMap((b) => Array.from(b.indices));
    expect(order).toEqual(Array.from(epochPermutation(5, 2, 64)));
    const b = got[1]!;
    expect(b.x.shape).toEqual([10, 2]);
    expect(b.y.shape).toEqual([10, 1]);
    expect(b.y.dtype).toBe("float32");
    b.indices.forEach((i, k) => {
      expect(b.y.data[k]).toBe(data.labels[i]);
      expect(b.x.data[k * 2 + 1]).toBe(data.images[i * 2 + 1]);
    });
    const other = [...batches(data, { batchSize: 10, seed: 5, epoch: 3 })];
    expect(other.flatMap((x) => Array.from(x.indices))).not.toEqual(order);
  });

  it("drops the last partial batch on request, and keeps the order without shuffle", () => {
    expect([...batches(data, { batchSize: 10, dropLast: true })]).toHaveLength(6);
    const plain = [...batches(xor, { batchSize: 3, shuffle: false })];
    expect(plain.map((b) => Array.from(b.indices))).toEqual([[0, 1, 2], [3]]);
    expect(Array.from(plain[1]!.y.data)).toEqual([0]);
    expect(plain[1]!.y.dtype).toBe("int32");
  });
});
