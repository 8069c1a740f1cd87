/**
 * The worker's side of the web app's user-trial fixes: classifying during a first run,
 * labelling a stopped run, continuing a model, the form's checks, and the CNNs with the CLI's
 * batch-norm, augmentation and schedule switches.
 */
import { describe, expect, it } from "vitest";
import { loadMnist, sliceDataset } from "@loom/models";
import { MLP, recorder } from "../testing/session-recorder";

const digit = (i: number) => loadMnist().test.images.slice(i * 784, (i + 1) * 784);

describe("the session during and after a run", () => {
  it("classifies with the weights of each finished epoch while a first run goes on, saying which epoch answers", async () => {
    const asked: Promise<void>[] = [];
    const r = recorder((m) => {
      if (m.kind === "epoch" && m.epoch === 1) asked.push(r.session.classify(1, digit(0)));
    });
    await r.session.train({ ...MLP, epochs: 2 });
    await Promise.all(asked);
    expect(r.of("error")).toEqual([]);
    const [c] = r.of("classified");
    expect(c!.by).toEqual({ epoch: 1, step: 20, training: true });
    // Answered before the second epoch's steps were all done.
    const i = r.messages.indexOf(c!);
    expect(r.messages.slice(i).filter((m) => m.kind === "step").length).toBeGreaterThan(0);
  });

  it("labels a run stopped mid-epoch with the epoch it stopped in", async () => {
    const r = recorder((m) => {
      if (m.kind === "step" && m.step === 27) r.session.stop();
    });
    await r.session.train({ ...MLP, epochs: 2 });
    const [model] = r.of("model");
    expect(model!.info).toMatchObject({ epoch: 1, step: 27, stoppedInEpoch: 2 });
    expect(r.of("finished")).toMatchObject([{ stopped: true, steps: 27 }]);
  });

  it("continues a model with its optimizer state, or fine-tunes it with another optimizer", async () => {
    const r = recorder();
    await r.session.train({ ...MLP, resume: true });
    expect(r.of("error").map((e) => e.message)).toEqual([
      "web app: there is no model to continue: train or load one first",
    ]);
    await r.session.train(MLP);
    const firstLoss = r.of("step")[0]!.loss;
    await r.session.train({ ...MLP, resume: true });
    const started = r.of("started")[1]!;
    expect([started.startEpoch, started.startStep]).toEqual([1, 20]);
    const steps = r.of("step").slice(20);
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // From the trained weights: the loss starts where the first run ended, far below ln 10.
    expect(steps[0]!.loss).toBeLessThan(firstLoss * 0.5);
    expect(r.of("model")[1]!.info).toMatchObject({ epoch: 2, step: 40 });
    expect(r.of("model")[1]!.test.accuracy).toBeGreaterThanOrEqual(r.of("model")[0]!.test.accuracy);
    await r.session.train({ ...MLP, resume: true, optimizer: "sgd", lr: 0.05 });
    expect(r.of("error")).toHaveLength(1);
    expect(r.of("model")[2]!.info).toMatchObject({ epoch: 3, step: 60, optimizer: "sgd" });
  });
});

describe("the form's checks", () => {
  it("refuses what training would refuse, per field, with the library's rules", () => {
    const r = recorder();
    r.session.check(1, MLP);
    r.session.check(2, {
      ...MLP,
      lr: 0,
      batchSize: Number.NaN,
      epochs: 0,
      schedule: "cos",
      augment: "spin:3",
      resume: true,
    });
    r.session.check(3, { ...MLP, lr: -1, batchSize: 1001, augment: "shift:40" });
    const [ok, bad, worse] = r.of("checked");
    expect(ok).toEqual({ kind: "checked", id: 1, problems: {} });
    expect(bad!.problems).toEqual({
      lr: "web app: the learning rate must be a positive number, got 0",
      batchSize: "web app: batch size must be an integer in [1, 1000], got NaN",
      epochs: "web app: epochs must be a whole number from 1 to 1000, got 0",
      schedule: expect.stringMatching(/^schedule: "cos": unknown schedule; use constant/),
      augment: expect.stringMatching(/^augment: "spin:3": unknown augmentation/),
      resume: "web app: there is no model to continue: train or load one first",
    });
    expect(worse!.problems).toEqual({
      lr: expect.stringMatching(/learning rate must be a number >= 0, got -1/),
      batchSize: "web app: batch size must be an integer in [1, 1000], got 1001",
      augment: expect.stringMatching(/the shift must be at most 27 for 28x28 images, got 40/),
    });
  });
});

describe("the convolutional models with the CLI's switches", () => {
  it.each(["resnet20", "vgg-small"] as const)(
    "trains %s with batch norm, augmentation and a cosine schedule, and saves them in the checkpoint",
    async (model) => {
      // A short run tested on 100 digits: ResNet-20 is ~30 M multiply-adds per digit.
      const { train, test } = loadMnist();
      const r = recorder(undefined, undefined, { train, test: sliceDataset(test, 0, 100) });
      await r.session.train({
        ...MLP,
        model,
        limit: 32,
        batchSize: 16,
        batchNorm: true,
        augment: "shift:2,rotate:10",
        schedule: "cosine+warmup:1",
      });
      expect(r.of("error")).toEqual([]);
      expect(r.of("finished")).toMatchObject([{ stopped: false, steps: 2 }]);
      const [m] = r.of("model");
      expect(m!.info).toMatchObject({ model, epoch: 1, step: 2, batchNorm: true });
      expect(m!.test.predictions).toHaveLength(100);
      r.session.save();
      const saved = r.of("saved")[0]!;
      const fresh = recorder(undefined, undefined, { train, test: sliceDataset(test, 0, 100) });
      await fresh.session.load(saved.fileName, new Uint8Array(saved.bytes));
      expect(fresh.of("error")).toEqual([]);
      expect(Array.from(fresh.of("model")[0]!.test.predictions)).toEqual(
        Array.from(m!.test.predictions),
      );
    },
    300_000,
  );
});
