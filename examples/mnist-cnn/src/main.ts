/**
 * A custom CNN on real MNIST digits (the `mnist` package): trained with `fit` (batch norm,
 * dropout, augmentation, weight decay, a schedule, early stopping), saved as safetensors,
 * loaded back and used for prediction. `LIMIT=1000 tsx src/main.ts` trains on the first 1,000
 * training digits (default 8,000: all of them); `EPOCHS` sets the epochs (default 3).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as loom from "@loom/loom";
import { loadMnist } from "@loom/models";
import { loadCheckpoint, saveCheckpoint } from "@loom/models/node";

const limit = Number(process.env["LIMIT"] ?? 8000);
const epochs = Number(process.env["EPOCHS"] ?? 3);
const BATCH = 32;

// #region data
// 8,000 training and 2,000 test digits, [1, 28, 28] each with values in [0, 1].
const mnist = loadMnist();
const all = loom.sliceDataset(mnist.train, 0, Math.min(limit, mnist.train.count));
const { train, val } = loom.splitValidation(all, Math.floor(all.count / 10));
const test = loom.sliceDataset(mnist.test, 0, Math.min(limit, mnist.test.count));
// #endregion data

// #region model
const block = (filters: number) =>
  loom.nn.sequential({
    conv: loom.nn.conv2d(filters, 3, { padding: 1, bias: false }),
    bn: loom.nn.batchNorm(),
    act: loom.nn.relu(),
    pool: loom.nn.maxPool2d({ kernel: 2 }),
  });
const model = loom.nn.sequential({
  block1: block(8),
  block2: block(16),
  flat: loom.nn.flatten(),
  drop: loom.nn.dropout(0.25),
  fc: loom.nn.dense(10),
});
// #endregion model

// #region fit
const backend = loom.cpuBackend();
const start = await loom.initModel(backend, model, 1, { shape: [BATCH, 1, 28, 28] });
const result = await loom.fit({
  backend,
  model,
  // AdamW: Adam with decoupled weight decay, its learning rate decaying 10x over the run (fit
  // tells the optimizer how many steps the run has).
  optimizer: ({ totalSteps }) =>
    loom.optim.adamw(
      loom.optim.exponentialDecay(3e-3, { decayRate: 0.1, decaySteps: totalSteps }),
      { weightDecay: 1e-4 },
    ),
  // Random shifts of up to 2 pixels, drawn in the graph from the step's key.
  augment: loom.augment.randomShift({ max: 2 }),
  train,
  val,
  epochs,
  batchSize: BATCH,
  seed: 1,
  start,
  earlyStopping: { patience: 2 },
  onLog: (message) => console.warn(message),
  onEpoch: (r) =>
    console.log(
      `epoch ${r.epoch}: train loss ${r.train.loss.toFixed(3)}, ` +
        `val accuracy ${(r.val!.accuracy * 100).toFixed(1)}% (${r.seconds.toFixed(1)} s)`,
    ),
});
// #endregion fit

// #region evaluate
const metrics = await loom.evaluate(backend, { model }, result.state, test);
console.log(`test accuracy ${(metrics.accuracy * 100).toFixed(1)}% on ${test.count} digits`);
// Beyond accuracy: the test digits' logits (from predict, below), then top-2 accuracy, the
// confusion matrix and macro-averaged precision, recall and F1.
const scorer = loom.predict(model, result.state.params, result.state.state, { backend });
const logits = await scorer(loom.hostTensor(test.images, [test.count, 1, 28, 28]));
scorer.dispose();
const confusion = loom.confusionMatrix(logits, test.labels);
const { precision, recall, f1 } = loom.precisionRecallF1(confusion, "macro");
const top2 = loom.topKAccuracy(logits, test.labels, 2);
console.log(
  `top-2 accuracy ${(top2 * 100).toFixed(1)}%; macro precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}, F1 ${f1.toFixed(3)}`,
);
const diagonal = confusion.reduce((n, row, i) => n + row[i]!, 0);
console.log(`confusion matrix diagonal ${diagonal} of ${test.count}`);
// #endregion evaluate

// #region predict
// predict compiles the forward pass in inference mode (batch norm's running statistics, no
// dropout) for host data; each row of logits gives a digit.
const classify = async (vars: loom.ModelVars, x: loom.HostTensor): Promise<number[]> => {
  const run = loom.predict(model, vars.params, vars.state, { backend });
  const logits = await run(x);
  run.dispose();
  return Array.from({ length: x.shape[0]! }, (_, i) => {
    const row = Array.from(logits.data.subarray(i * 10, (i + 1) * 10));
    return row.indexOf(Math.max(...row));
  });
};
const digits = loom.batchOf(test, [0, 1, 2, 3, 4, 5, 6, 7]);
const before = await classify(result.state, digits.x);
// #endregion predict

// #region checkpoint
// Params and batch-norm state (and the optimizer state, to resume) in one safetensors file.
const dir = mkdtempSync(join(tmpdir(), "mnist-cnn-"));
const file = join(dir, "cnn.safetensors");
await saveCheckpoint(file, {
  params: result.state.params,
  state: result.state.state,
  optState: result.state.optState,
  step: result.state.step,
});
// Loading checks every name, shape and dtype against the model's own fresh variables.
const loaded = await loadCheckpoint(file, { params: start.params, state: start.state });
const after = await classify(loaded, digits.x);
// #endregion checkpoint
rmSync(dir, { recursive: true, force: true });

console.log(`labels     ${Array.from(digits.y.data).join(" ")}`);
console.log(`predicted  ${before.join(" ")}`);
console.log(`reloaded   ${after.join(" ")}`);
backend.dispose();
