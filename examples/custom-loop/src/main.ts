/**
 * A training loop written by hand: a custom layer, a custom loss, `valueAndGrad` and an
 * optimizer, compiled into one step that runs for every batch. The task is regression:
 * y = sin(3 x0) + x1^2 from noisy samples. `tsx src/main.ts [examples]` (default 2048).
 */
import * as loom from "@loom/loom";
import type { HostTensor, Tensor, Tree } from "@loom/loom";

const count = Number(process.argv[2] ?? 2048);
const BATCH = 32;
const EPOCHS = 8;

// #region layer
// A custom layer is an { init, apply } pair: here a gated linear unit, x W^T * sigmoid(x G^T).
// nn.layer types its params from what init returns, so apply reads p.w and p.gate with no cast.
const gated = (units: number) =>
  loom.nn.layer({
    kind: "gated",
    init: (key, input) => {
      const inDim = input.shape[input.shape.length - 1] as number;
      const [kw, kg] = loom.split(key, 2);
      const fans = loom.nn.fansOf([units, inDim]);
      return {
        params: {
          w: loom.nn.xavierUniform(kw!, [units, inDim], fans, "float32"),
          gate: loom.nn.xavierUniform(kg!, [units, inDim], fans, "float32"),
        },
        state: {},
      };
    },
    apply: (p, state, x) => ({
      y: loom.mul(loom.linear(x, p.w), loom.sigmoid(loom.linear(x, p.gate))),
      state,
    }),
  });
// #endregion layer

// #region loss
// A custom loss is a function of tensors: Huber, quadratic near 0 and linear beyond delta.
const huber = (pred: Tensor, target: Tensor, delta = 0.5): Tensor => {
  const err = loom.abs(loom.sub(pred, target));
  const quadratic = loom.mul(loom.square(err), 0.5 / delta);
  const linear = loom.sub(err, delta / 2);
  return loom.mean(loom.select(loom.lt(err, delta), quadratic, linear));
};
// #endregion loss

// #region data
// Synthetic data from a seeded generator, so every run sees the same examples: a Dataset with
// float targets (one per example: labelShape [1]) instead of class indices.
const rng = loom.mulberry32(1);
const xs = Float32Array.from({ length: count * 2 }, () => rng() * 2 - 1);
const ys = Float32Array.from({ length: count }, (_, i) => {
  const noise = (rng() - 0.5) * 0.05;
  return Math.sin(3 * xs[2 * i]!) + xs[2 * i + 1]! ** 2 + noise;
});
const data: loom.Dataset<Float32Array> = {
  images: xs,
  labels: ys,
  count,
  shape: [2],
  labelShape: [1],
};
// #endregion data

const model = loom.nn.sequential({ glu: gated(32), act: loom.nn.tanh(), out: loom.nn.dense(1) });
const steps = Math.floor(count / BATCH) * EPOCHS;

// #region step
// The optimizer: gradients clipped to norm 1, then Adam with a cosine-decayed learning rate
// (schedules read the step count the optimizer keeps in its own state).
const optimizer = loom.optim.chain(
  loom.optim.clipByGlobalNorm(1),
  loom.optim.adam(loom.optim.cosineDecay(0.05, steps)),
);

// One training step as a pure function of trees of tensors: forward, loss, backward, update.
// The params' type comes from the model's layers (ParamsOf), so `model.apply` takes them as they are.
type Params = loom.nn.ParamsOf<typeof model>;
type State = loom.nn.StateOf<typeof model>;
const trainStep = (io: {
  params: Params;
  state: State;
  optState: Tree<Tensor>;
  x: Tensor;
  y: Tensor;
}) => {
  const lossOf = (p: Params) => huber(model.apply(p, io.state, io.x, { training: true }).y, io.y);
  const { value, grad } = loom.valueAndGrad(lossOf)(io.params);
  const { updates, state: optState } = optimizer.update(grad, io.optState, io.params);
  return { params: loom.optim.applyUpdates(io.params, updates), optState, loss: value };
};
// #endregion step

// #region loop
const backend = loom.cpuBackend();
const init = await loom.initModel(backend, model, 42, { shape: [BATCH, 2] });
let params = init.params;
let optState = optimizer.init(params);
const step = loom.compile(backend, trainStep, {
  params: loom.specsOf(params),
  state: loom.specsOf(init.state),
  optState: loom.specsOf(optState),
  x: { shape: [BATCH, 2] },
  y: { shape: [BATCH, 1] },
});
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  // batches: fit's keyed shuffle of (seed, epoch); dropLast keeps every batch BATCH rows.
  let total = 0;
  let n = 0;
  for (const { x, y } of loom.batches(data, { batchSize: BATCH, seed: 7, epoch, dropLast: true })) {
    const out = await step.run({ params, state: init.state, optState, x, y });
    ({ params, optState } = out);
    total += out.loss.data[0]!;
    n++;
  }
  console.log(`epoch ${epoch + 1}: huber loss ${(total / n).toFixed(4)}`);
}
// #endregion loop

// #region read
// Parameters are plain trees of host tensors: read any leaf by its path.
const leaves = loom.flattenTree(params as Tree<HostTensor>, loom.isHostTensor);
console.log(leaves.map(({ path, leaf }) => `${path} [${leaf.shape.join("x")}]`).join(", "));
// #endregion read

// #region fit
// The same training with fit: float targets need a loss, and fit counts the run's steps for
// the schedule.
const fitted = await loom.fit({
  backend,
  model,
  loss: (pred, target) => huber(pred, target),
  optimizer: ({ totalSteps }) =>
    loom.optim.chain(
      loom.optim.clipByGlobalNorm(1),
      loom.optim.adam(loom.optim.cosineDecay(0.05, totalSteps)),
    ),
  train: data,
  epochs: EPOCHS,
  batchSize: BATCH,
  seed: 7,
  start: init,
});
console.log(`fit: huber loss ${fitted.history.at(-1)!.train.loss.toFixed(4)}`);
// #endregion fit

// #region resident
// The loop's first epoch again, with the variables left where the backend computes (textures
// on WebGL; on the CPU, host memory): runResident takes and returns device tensors, so a step
// uploads its batch and reads back only what is read (the loss), not the parameters.
let vars = loom.toDevice(backend, { params: init.params, optState: optimizer.init(init.params) });
let residentTotal = 0;
let residentSteps = 0;
for (const { x, y } of loom.batches(data, {
  batchSize: BATCH,
  seed: 7,
  epoch: 0,
  dropLast: true,
})) {
  const out = await step.runResident({ ...vars, state: init.state, x, y });
  // The old values can go once the step that replaces them has been called.
  loom.disposeTree(vars);
  vars = { params: out.params, optState: out.optState };
  residentTotal += (await out.loss.read()).data[0]!;
  out.loss.dispose();
  residentSteps++;
}
// Back to the host at the end (or for a checkpoint), then freed.
const residentParams = await loom.toHost(vars.params);
loom.disposeTree(vars);
console.log(`resident: huber loss ${(residentTotal / residentSteps).toFixed(4)}`);
// #endregion resident
console.log(`resident params: ${Object.keys(residentParams).join(", ")}`);
backend.dispose();
