import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Dataset, LossFn, TrainState } from "@loom/models";
import {
  epochPermutation,
  evaluate,
  fit,
  initModel,
  loadMnist,
  makeOptimizer,
  mlp,
  perceptron,
  varSpecs,
} from "@loom/models";
import { loadCheckpoint, saveCheckpoint } from "@loom/models/node";
import type { Tree } from "@loom/ops";
import { flattenTree, isHostTensor, mse, oneHot } from "@loom/ops";

// Training end to end on the CPU backend, on problems small enough to run in seconds.

const backend = cpuBackend();

/** The four XOR examples: class 1 iff exactly one input is 1. */
const xorData = (scale = 1): Dataset => ({
  images: Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1].map((v) => v * scale)),
  labels: Int32Array.from([0, 1, 1, 0]),
  count: 4,
  shape: [2],
});

/** Examples `from..to` of an MNIST split (views, not copies). */
const slice = (ds: Dataset, from: number, to: number): Dataset => ({
  images: ds.images.subarray(from * 784, to * 784),
  labels: ds.labels.subarray(from, to),
  count: to - from,
  shape: ds.shape,
});

/** Every float leaf of a tree, by path, as copied bytes (to compare bit for bit). */
const bitsOf = (t: Tree<HostTensor>): Record<string, string> =>
  Object.fromEntries(
    flattenTree(t, isHostTensor).map(({ path, leaf }) => [
      path,
      `${leaf.dtype}${JSON.stringify(leaf.shape)}:${Buffer.from(
        leaf.data.buffer,
        leaf.data.byteOffset,
        leaf.data.byteLength,
      ).toString("hex")}`,
    ]),
  );

const allFinite = (s: TrainState): boolean =>
  [s.params, s.state, s.optState].every((t) =>
    flattenTree(t, isHostTensor).every(({ leaf }) => leaf.data.every(Number.isFinite)),
  );

/** MSE between the logits and the one-hot labels: its gradient grows with the error, so a huge step diverges. */
const mseOnOneHot =
  (classes: number): LossFn =>
  (logits, labels) =>
    mse(logits, oneHot(labels, classes));

describe("XOR (Minsky and Papert)", () => {
  const train = async (layer: ReturnType<typeof mlp>, seed: number, epochs: number) => {
    const start = await initModel(backend, layer, seed, { shape: ["N", 2] });
    const r = await fit({
      backend,
      model: layer,
      optimizer: makeOptimizer("adam", 0.05),
      train: xorData(),
      epochs,
      batchSize: 4,
      seed,
      start,
    });
    return { r, m: await evaluate(backend, { model: layer }, r.state, xorData()) };
  };

  it.each([0, 1])("a single-layer perceptron cannot fit it (seed %i)", async (seed) => {
    const { r, m } = await train(perceptron(2), seed, 300);
    // No line separates {01, 10} from {00, 11}: at most 3 of 4 at any point of training.
    expect(r.history).toHaveLength(300);
    for (const h of r.history) expect(h.train.accuracy).toBeLessThanOrEqual(0.75);
    expect(m.accuracy).toBeLessThanOrEqual(0.75);
  });

  it("a 2-layer MLP (dense 8, tanh, dense 2) fits it exactly", async () => {
    const { r, m } = await train(mlp({ hidden: [8], activation: "tanh", classes: 2 }), 0, 300);
    expect(m.accuracy).toBe(1);
    expect(m.loss).toBeLessThan(0.05);
    expect(r.history.at(-1)!.train.accuracy).toBe(1);
  });
});

describe("the non-finite guard", () => {
  it("throws non_finite when sgd lr 1e6 makes the MLP's loss overflow, after finite epochs only", async () => {
    const layer = mlp({ hidden: [8], activation: "tanh", classes: 2 });
    const start = await initModel(backend, layer, 0, { shape: ["N", 2] });
    const seen: boolean[] = [];
    const run = fit({
      backend,
      model: layer,
      loss: mseOnOneHot(2),
      optimizer: makeOptimizer("sgd", 1e6),
      train: xorData(),
      epochs: 100,
      batchSize: 4,
      seed: 0,
      start,
      onEpoch: (report, state) =>
        void seen.push(Number.isFinite(report.train.loss) && allFinite(state)),
    });
    const err = await run.then(
      () => expect.unreachable("training should diverge"),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LoomError);
    expect((err as LoomError).code).toBe("non_finite");
    expect((err as LoomError).message).toMatch(/diverged/);
    expect(seen.length).toBeLessThan(100);
    expect(seen.every(Boolean)).toBe(true);
  });

  it("throws before onEpoch when an update overflows the params while the loss was still finite", async () => {
    // With inputs of 100 and lr 1e38, the first update is ~1e40: Inf in f32, from a finite loss.
    const layer = perceptron(2);
    const start = await initModel(backend, layer, 0, { shape: ["N", 2] });
    let calls = 0;
    const err = await fit({
      backend,
      model: layer,
      loss: mseOnOneHot(2),
      optimizer: makeOptimizer("sgd", 1e38),
      train: xorData(100),
      epochs: 5,
      batchSize: 4,
      seed: 0,
      start,
      onEpoch: () => void calls++,
    }).then(
      () => expect.unreachable("training should diverge"),
      (e: unknown) => e,
    );
    expect((err as LoomError).code).toBe("non_finite");
    expect((err as LoomError).message).toMatch(
      /^fit: params\.fc\.[wb]\[\d+\] is (-?Infinity|NaN) after epoch 1/,
    );
    expect(calls).toBe(0);
  });
});

describe("mini-batches", () => {
  it("epochPermutation is a permutation, fixed by seed and epoch, different between epochs", () => {
    for (const n of [1, 2, 10, 257]) {
      const p = epochPermutation(3, 0, n);
      expect([...p].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
      expect([...epochPermutation(3, 0, n)]).toEqual([...p]);
    }
    const orders = [0, 1, 2].map((e) => [...epochPermutation(3, e, 100)].join(","));
    expect(new Set(orders).size).toBe(3);
    expect([...epochPermutation(4, 0, 100)].join(",")).not.toBe(orders[0]);
  });

  it("fit uses every example at most once per epoch, drops the last partial batch, and reshuffles", async () => {
    // 10 examples in batches of 3: 3 batches, 1 example left out. Record which labels are read.
    const n = 10;
    const reads: number[] = [];
    const labels = new Proxy(
      Int32Array.from({ length: n }, (_, i) => i),
      {
        get: (t, p) => {
          if (typeof p === "string" && /^\d+$/.test(p)) reads.push(Number(p));
          return Reflect.get(t, p, t) as unknown;
        },
      },
    );
    const train: Dataset = {
      images: Float32Array.from({ length: 2 * n }, (_, i) => i / 10),
      labels,
      count: n,
      shape: [2],
    };
    const layer = perceptron(n);
    const start = await initModel(backend, layer, 0, { shape: ["N", 2] });
    const steps: number[] = [];
    const r = await fit({
      backend,
      model: layer,
      optimizer: makeOptimizer("sgd", 0.1),
      train,
      epochs: 3,
      batchSize: 3,
      seed: 11,
      start,
      onStep: ({ epoch, batch, batches }) => {
        expect(batches).toBe(3);
        steps.push(epoch * 10 + batch);
      },
    });
    expect(steps).toEqual([0, 1, 2, 10, 11, 12, 20, 21, 22]);
    expect(r.history.map((h) => h.steps)).toEqual([3, 3, 3]);
    expect(r.state.step).toBe(9);
    // fit first checks every label on the host (each read once, in order), then trains.
    expect(reads.slice(0, n)).toEqual([...Array(n).keys()]);
    const batchReads = reads.slice(n);
    expect(batchReads).toHaveLength(27);
    const epochs = [0, 1, 2].map((e) => batchReads.slice(e * 9, e * 9 + 9));
    epochs.forEach((used, e) => {
      expect(new Set(used).size).toBe(9);
      expect(used).toEqual([...epochPermutation(11, e, n)].slice(0, 9));
    });
    expect(new Set(epochs.map((u) => u.join(","))).size).toBe(3);
  });
});

describe("stopping with an AbortSignal", () => {
  const layer = mlp({ hidden: [8], activation: "tanh" });
  const setup = async () => ({
    backend,
    model: layer,
    optimizer: makeOptimizer("adam", 0.05),
    train: xorData(),
    epochs: 10,
    batchSize: 1,
    seed: 1,
    start: await initModel(backend, layer, 1, { shape: ["N", 2] }),
  });

  it("stops after the step during which it is aborted, returning the state reached", async () => {
    const base = await setup();
    const controller = new AbortController();
    const steps: number[] = [];
    const epochs: number[] = [];
    const r = await fit({
      ...base,
      signal: controller.signal,
      onStep: ({ epoch, batch }) => {
        steps.push(epoch * 4 + batch);
        if (epoch === 1 && batch === 1) controller.abort();
      },
      onEpoch: (report) => void epochs.push(report.epoch),
    });
    expect(r.aborted).toBe(true);
    expect(steps).toEqual([0, 1, 2, 3, 4, 5]);
    expect(epochs).toEqual([1]);
    expect(r.history).toHaveLength(1);
    expect([r.state.epoch, r.state.step]).toEqual([1, 6]);
    // The same six steps taken as one epoch, then two steps of the next, give the same bits.
    const first = await fit({ ...base, epochs: 1 });
    expect(first.aborted).toBe(false);
    const again = new AbortController();
    const second = await fit({
      ...base,
      start: first.state,
      signal: again.signal,
      onStep: ({ batch }) => (batch === 1 ? again.abort() : undefined),
    });
    expect(second.state.step).toBe(6);
    expect(bitsOf(second.state.params)).toEqual(bitsOf(r.state.params));
    expect(bitsOf(second.state.optState)).toEqual(bitsOf(r.state.optState));
    expect(bitsOf(r.state.params)).not.toEqual(bitsOf(first.state.params));
  });

  it("takes no step when the signal is already aborted", async () => {
    const base = await setup();
    const r = await fit({ ...base, signal: AbortSignal.abort() });
    expect(r.aborted).toBe(true);
    expect([r.state.epoch, r.state.step, r.history.length]).toEqual([0, 0, 0]);
    expect(bitsOf(r.state.params)).toEqual(bitsOf(base.start.params));
  });
});

describe("on MNIST digits", () => {
  let mnist: { train: Dataset; test: Dataset };
  let dir: string;
  beforeAll(async () => {
    mnist = loadMnist();
    dir = await mkdtemp(join(tmpdir(), "loom-train-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("early stopping restores the parameters of the best validation epoch", async () => {
    // 64 training digits and a 64-unit MLP overfit within a few epochs: the validation loss
    // falls, then rises.
    const layer = mlp({ hidden: [64] });
    const start = await initModel(backend, layer, 0, { shape: ["N", 1, 28, 28] });
    const snapshots = new Map<number, Record<string, string>>();
    const patience = 3;
    const r = await fit({
      backend,
      model: layer,
      optimizer: makeOptimizer("adam", 0.01),
      train: slice(mnist.train, 0, 64),
      val: slice(mnist.train, 7000, 7256),
      epochs: 30,
      batchSize: 32,
      seed: 0,
      start,
      earlyStopping: { patience },
      onEpoch: (report, state) => void snapshots.set(report.epoch, bitsOf(state.params)),
    });
    const losses = r.history.map((h) => h.val!.loss);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    expect(r.stoppedEarly).toBe(true);
    expect(r.bestEpoch).toBe(best);
    expect(best).toBeGreaterThan(1);
    expect(r.history).toHaveLength(best + patience);
    // The validation loss rose after the best epoch: no epoch after it improved.
    for (const l of losses.slice(best)) expect(l).toBeGreaterThanOrEqual(losses[best - 1]!);
    expect(r.state.epoch).toBe(best);
    expect(bitsOf(r.state.params)).toEqual(snapshots.get(best));
    expect(bitsOf(r.state.params)).not.toEqual(snapshots.get(r.history.length));
    const again = await evaluate(
      backend,
      { model: layer },
      r.state,
      slice(mnist.train, 7000, 7256),
    );
    expect(again.loss).toBeCloseTo(losses[best - 1]!, 6);
  });

  it("resuming from a checkpoint gives bit-identical parameters, state and optimizer state", async () => {
    // Dropout (keys per step) and batch norm (state) make this a real test of what a checkpoint holds.
    const layer = mlp({ hidden: [32], dropout: 0.2, batchNorm: true });
    const train = slice(mnist.train, 0, 256);
    const setup = {
      backend,
      model: layer,
      optimizer: makeOptimizer("adam", 1e-3),
      train,
      batchSize: 32,
      seed: 5,
    };
    const start = await initModel(backend, layer, 5, { shape: ["N", 1, 28, 28] });
    const straight = await fit({ ...setup, epochs: 2, start });

    const first = await fit({ ...setup, epochs: 1, start });
    const path = join(dir, "resume.safetensors");
    await saveCheckpoint(path, {
      params: first.state.params,
      state: first.state.state,
      optState: first.state.optState,
      step: first.state.step,
      meta: { epoch: String(first.state.epoch) },
    });
    const specs = varSpecs(layer, { shape: [1, 1, 28, 28] });
    const ck = await loadCheckpoint(path, { params: specs.params, state: specs.state });
    const resumed = await fit({
      ...setup,
      epochs: 2,
      start: {
        params: ck.params,
        state: ck.state,
        optState: ck.optState,
        step: ck.step,
        epoch: Number(ck.meta["epoch"]),
      },
    });

    expect(resumed.history.map((h) => h.epoch)).toEqual([2]);
    expect(resumed.state.epoch).toBe(2);
    expect(resumed.state.step).toBe(straight.state.step);
    expect(straight.state.step).toBe(16);
    expect(bitsOf(resumed.state.params)).toEqual(bitsOf(straight.state.params));
    expect(bitsOf(resumed.state.state)).toEqual(bitsOf(straight.state.state));
    expect(bitsOf(resumed.state.optState)).toEqual(bitsOf(straight.state.optState));
    expect(resumed.history[0]!.train).toEqual(straight.history[1]!.train);
    // And the second epoch did change something.
    expect(bitsOf(first.state.params)).not.toEqual(bitsOf(straight.state.params));
  });
});
