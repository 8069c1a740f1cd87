/**
 * XOR: the smallest problem a linear model cannot solve. A two-layer network learns the truth
 * table with `fit`, then predicts it. `tsx src/main.ts [epochs]` (default 300).
 */
import * as loom from "@loom/loom";

const epochs = Number(process.argv[2] ?? 300);

// #region data
// The four inputs and their classes (0 or 1), as a Dataset: flat values plus an example shape.
const train: loom.Dataset = {
  images: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]),
  labels: new Int32Array([0, 1, 1, 0]),
  count: 4,
  shape: [2],
};
// #endregion data

// #region model
// A model is an { init, apply } pair; sequential names its children, which name the params.
const model = loom.nn.sequential({
  hidden: loom.nn.dense(8),
  act: loom.nn.tanh(),
  out: loom.nn.dense(2),
});
// #endregion model

// #region train
const backend = loom.cpuBackend();
const start = await loom.initModel(backend, model, 0, { shape: [4, 2] });
const { state, history } = await loom.fit({
  backend,
  model,
  optimizer: loom.optim.adam(0.05),
  train,
  epochs,
  batchSize: 4,
  seed: 0,
  start,
});
console.log(
  `loss ${history[0]!.train.loss.toFixed(3)} -> ${history.at(-1)!.train.loss.toFixed(3)}`,
);
// #endregion train

// #region predict
// Inference: predict compiles the forward pass (once, for any batch size) and runs it on host data.
const run = loom.predict(model, state.params, state.state, { backend });
const logits = await run(loom.hostTensor(train.images, [4, 2]));
const predicted = [0, 1, 2, 3].map((i) => (logits.data[2 * i + 1]! > logits.data[2 * i]! ? 1 : 0));
// #endregion predict
[0, 1, 2, 3].forEach((i) => {
  const [a, b] = train.images.subarray(2 * i, 2 * i + 2);
  console.log(`${a} xor ${b} = ${predicted[i]}`);
});
backend.dispose();
