import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import type { ModelVars } from "@loom/models";
import { configOf, decodeCheckpoint, evaluate, getModel, loadMnist } from "@loom/models";
import { loadCheckpoint } from "@loom/models/node";
import { softmaxRow } from "./digits";
import { VALIDATION_DIGITS } from "./session";
import { MLP, recorder } from "../testing/session-recorder";

describe("a training session", () => {
  const r = recorder();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loom-web-session-"));
    await r.session.train(MLP);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("trains with fit and reports every step, the epoch, and the test digits' results", async () => {
    expect(r.of("error")).toEqual([]);
    const [started] = r.of("started");
    expect(started).toMatchObject({ backend: "cpu", trainCount: 1000, stepsPerEpoch: 20 });
    const steps = r.of("step");
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(steps.every((s) => Number.isFinite(s.loss) && s.epoch === 0)).toBe(true);
    // Adam on 1,000 digits: the loss of the last steps is well below the first (about ln 10).
    expect(steps[0]!.loss).toBeGreaterThan(1.8);
    expect(steps.at(-1)!.loss).toBeLessThan(steps[0]!.loss * 0.6);
    const [epoch] = r.of("epoch");
    expect(epoch!.epoch).toBe(1);
    expect(epoch!.val!.accuracy).toBeGreaterThan(0.7);
    const [model] = r.of("model");
    expect(model!.info).toEqual({
      model: "mlp",
      source: "trained",
      backend: "cpu",
      epoch: 1,
      step: 20,
      batchNorm: false,
      optimizer: "adam",
    });
    expect(model!.test.predictions).toHaveLength(2000);
    expect(r.of("finished")).toMatchObject([{ stopped: false, steps: 20 }]);
    expect(r.messages.map((m) => m.kind).slice(-3)).toEqual(["evaluating", "model", "finished"]);
  });

  it("reports the test accuracy and loss that `evaluate` gives, and per-digit predictions that agree", async () => {
    const [model] = r.of("model");
    const { test } = model!;
    const saved = r.of("saved");
    expect(saved).toEqual([]);
    r.session.save();
    const bytes = new Uint8Array(r.of("saved")[0]!.bytes);
    const ck = decodeCheckpoint(bytes);
    const vars: ModelVars = { params: ck.params, state: ck.state };
    const reference = await evaluate(
      cpuBackend(),
      { model: getModel("mlp").layer },
      vars,
      loadMnist().test,
    );
    expect(test.accuracy).toBe(reference.accuracy);
    expect(test.loss).toBeCloseTo(reference.loss, 5);
    const labels = loadMnist().test.labels;
    const correct = test.predictions.filter((p, i) => p === labels[i]).length;
    expect(correct / 2000).toBe(test.accuracy);
    expect(test.accuracy).toBeGreaterThan(0.75);
    expect(Math.min(...test.confidence)).toBeGreaterThan(0.1);
    expect(Math.max(...test.confidence)).toBeLessThanOrEqual(1);
  });

  it("classifies a digit as the test run did, with probabilities that sum to 1 and every layer's activations", async () => {
    const { test } = loadMnist();
    const predictions = r.of("model")[0]!.test.predictions;
    for (const i of [0, 1, 2]) {
      await r.session.classify(100 + i, test.images.slice(i * 784, (i + 1) * 784));
      const c = r.of("classified").find((m) => m.id === 100 + i)!;
      const p = Array.from(c.probabilities);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(p.indexOf(Math.max(...p))).toBe(predictions[i]);
      expect(c.by).toEqual({ epoch: 1, step: 20, training: false });
      // Every layer of the MLP, each a strip of its units: act1 is relu(fc1), out the logits.
      const layer = (n: string) => c.layers.find((l) => l.name === n)!;
      expect(c.layers.map((l) => `${l.name}:${l.width}`)).toEqual([
        "flatten:784",
        "fc1:256",
        "act1:256",
        "fc2:128",
        "act2:128",
        "out:10",
      ]);
      expect(Array.from(layer("act1").data)).toEqual(
        Array.from(layer("fc1").data, (v) => Math.max(0, v)),
      );
      expect(Array.from(softmaxRow(layer("out").data))).toEqual(p);
    }
  });

  it("saves a checkpoint the CLI reads (same metadata), and loads it back to the same model", async () => {
    r.session.save();
    const saved = r.of("saved").at(-1)!;
    expect(saved.fileName).toBe("loom-mlp-epoch1-step20.safetensors");
    const path = join(dir, saved.fileName);
    await writeFile(path, new Uint8Array(saved.bytes));
    const ck = await loadCheckpoint(path);
    expect(configOf(ck.meta, path)).toEqual({
      model: "mlp",
      dropout: 0,
      batchNorm: false,
      optimizer: "adam",
    });
    expect(ck.meta).toMatchObject({ epoch: "1", seed: "0" });
    expect(ck.step).toBe(20);

    const fresh = recorder();
    await fresh.session.load(saved.fileName, new Uint8Array(saved.bytes));
    expect(fresh.of("error")).toEqual([]);
    const [loaded] = fresh.of("model");
    expect(loaded!.info).toEqual({
      model: "mlp",
      source: "loaded",
      epoch: 1,
      step: 20,
      batchNorm: false,
      optimizer: "adam",
      fileName: saved.fileName,
    });
    const trained = r.of("model")[0]!.test;
    expect(loaded!.test.accuracy).toBe(trained.accuracy);
    expect(Array.from(loaded!.test.predictions)).toEqual(Array.from(trained.predictions));
  });

  it("refuses a corrupt or foreign file with a clear message and keeps the current model", async () => {
    r.session.save();
    const good = new Uint8Array(r.of("saved").at(-1)!.bytes);
    const models = r.of("model").length;
    const before = r.messages.length;
    const flipped = good.slice();
    flipped[flipped.length - 5] ^= 0x40;
    await r.session.load("flipped.safetensors", flipped);
    await r.session.load("short.safetensors", good.subarray(0, 100));
    await r.session.load("notes.txt", new TextEncoder().encode("hello, this is not a model"));
    // Random bytes whose 9th byte is "{" and whose first 8 announce an absurd header length.
    const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    random.set([0x9c, 0x7e, 0x31, 0xd2, 0x55, 0x10, 0x3a, 0x74, 0x7b]);
    await r.session.load("random.bin", random);
    const errors = r.messages.slice(before).filter((m) => m.kind === "error");
    expect(errors.map((e) => e.kind === "error" && e.during)).toEqual([
      "load",
      "load",
      "load",
      "load",
    ]);
    const texts = errors.map((e) => (e.kind === "error" ? e.message : ""));
    expect(texts[0]).toMatch(/^Could not load flipped.safetensors: .*corrupted/);
    expect(texts[1]).toMatch(/^Could not load short.safetensors: /);
    expect(texts[2]).toMatch(/^Could not load notes.txt: .*not a safetensors file/);
    expect(texts[3]).toMatch(/^Could not load random.bin: .*not a safetensors file/);
    expect(r.of("model")).toHaveLength(models);
    // Still the trained model: it classifies test digit 0 as before.
    const { test } = loadMnist();
    await r.session.classify(7, test.images.slice(0, 784));
    const c = r.of("classified").find((m) => m.id === 7)!;
    const p = Array.from(c.probabilities);
    expect(p.indexOf(Math.max(...p))).toBe(r.of("model")[0]!.test.predictions[0]);
  });
});

describe("session control", () => {
  it("stops within a few steps when Stop arrives as a later task, keeping the state reached", async () => {
    // Stop is sent from a timer, as a worker message would arrive: only a backend that yields
    // to the event loop between steps lets it in before the epoch's 218 steps are done.
    const r = recorder((m) => {
      if (m.kind === "step" && m.step === 3) setTimeout(() => r.session.stop(), 0);
    });
    await r.session.train({ ...MLP, limit: undefined, batchSize: 32 });
    const [started] = r.of("started");
    expect(started!.trainCount).toBe(8000 - VALIDATION_DIGITS);
    expect(started!.stepsPerEpoch).toBe(218);
    const [finished] = r.of("finished");
    expect(finished!.stopped).toBe(true);
    expect(finished!.steps).toBeGreaterThanOrEqual(3);
    expect(finished!.steps).toBeLessThan(10);
    expect(r.of("epoch")).toEqual([]);
    const [model] = r.of("model");
    expect(model!.info).toMatchObject({ epoch: 0, step: finished!.steps, stoppedInEpoch: 1 });
  });

  it("falls back to the CPU with a notice when WebGL is missing", async () => {
    const r = recorder(undefined, "this browser offers no WebGL2 context");
    await r.session.train({ ...MLP, backend: "webgl", limit: 100 });
    expect(r.of("notice").map((n) => n.text)).toEqual([
      "The WebGL backend is not available here (webgl: this browser offers no WebGL2 context); training on the CPU instead.",
    ]);
    expect(r.of("started")[0]!.backend).toBe("cpu");
    expect(r.of("finished")[0]!.stopped).toBe(false);
  });

  it("reports a diverging run and a bad configuration as errors", async () => {
    const r = recorder();
    await r.session.train({ ...MLP, optimizer: "sgd", lr: 1e9, limit: 200 });
    await r.session.train({ ...MLP, batchSize: 5000 });
    await r.session.train({ ...MLP, optimizer: "lbfgs" });
    const errors = r.of("error").map((e) => e.message);
    expect(errors[0]).toMatch(/training diverged/);
    expect(errors[1]).toMatch(/batch size must be an integer in \[1, 1000\], got 5000/);
    expect(errors[2]).toMatch(/unknown optimizer "lbfgs"/);
    expect(r.of("model")).toEqual([]);
  });

  it("says there is no model to classify or save before training", async () => {
    const r = recorder();
    await r.session.classify(1, new Float32Array(784));
    r.session.save();
    expect(r.of("error").map((e) => [e.during, e.message])).toEqual([
      ["classify", "No model yet: train one or load a .safetensors file."],
      ["save", "No model to save yet."],
    ]);
  });

  it("shows LeNet-5's first convolution as six 28x28 feature maps", async () => {
    const r = recorder();
    await r.session.train({ ...MLP, model: "lenet", limit: 256, batchSize: 64 });
    expect(r.of("error")).toEqual([]);
    const { test } = loadMnist();
    await r.session.classify(1, test.images.slice(0, 784));
    const f = r.of("classified")[0]!.layers.find((l) => l.name === "act1")!;
    expect([f.name, f.channels, f.height, f.width]).toEqual(["act1", 6, 28, 28]);
    expect(f.data).toHaveLength(6 * 28 * 28);
    // After a ReLU: no negative values, and the digit lights some of them up.
    expect(Math.min(...f.data)).toBeGreaterThanOrEqual(0);
    expect(f.data.filter((v: number) => v > 0).length).toBeGreaterThan(100);
    // The first layer's six 5x5 filters come with the test results.
    const filters = r.of("model")[0]!.test.filters!;
    expect([filters.name, filters.channels, filters.height, filters.width]).toEqual([
      "params.conv1.w",
      6,
      5,
      5,
    ]);
  });
});
