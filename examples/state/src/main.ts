/**
 * loom's explicit state, step by step: a model's params and state are plain trees of host
 * tensors, initializers and random numbers come from keys, and batch norm's running
 * statistics are state that `apply` returns rather than stores. `tsx src/main.ts`.
 */
import * as loom from "@loom/loom";
import type { HostTensor, Tensor, Tree } from "@loom/loom";

// #region model
// Initializers are per layer: He-normal weights and zero biases for the hidden layer.
const model = loom.nn.sequential({
  hidden: loom.nn.dense(4, { kernelInit: loom.nn.heNormal, biasInit: loom.nn.zeros }),
  bn: loom.nn.batchNorm({ momentum: 0.1 }),
  act: loom.nn.relu(),
  drop: loom.nn.dropout(0.5),
  out: loom.nn.dense(1),
});
// #endregion model

// #region init
// init runs on a backend (random initialisation is graph ops): same seed, same values anywhere.
const backend = loom.cpuBackend();
const vars = await loom.initModel(backend, model, 0, { shape: ["N", 3] });
const show = (tree: Tree<HostTensor>) =>
  loom
    .flattenTree(tree, loom.isHostTensor)
    .map(({ path, leaf }) => `${path} [${leaf.shape.join("x")}]`)
    .join(", ");
console.log(`params: ${show(vars.params)}`);
console.log(`state:  ${show(vars.state)}`);
const count = loom
  .flattenTree(vars.params, loom.isHostTensor)
  .reduce((n, { leaf }) => n + leaf.data.length, 0);
console.log(`${count} parameters`);
// #endregion init

// #region apply
// apply is a pure function: in training mode it returns batch norm's updated running statistics
// as the new state (and needs a key for dropout); in inference mode the state comes back as is.
const forward = loom.compile(
  backend,
  ({ params, state, x, key }) => {
    const train = model.apply(params, state, x, { training: true, key });
    const infer = model.apply(params, state, x, { training: false });
    return { y: train.y, state: train.state, inferState: infer.state };
  },
  {
    params: loom.specsOf(vars.params),
    state: loom.specsOf(vars.state),
    x: { shape: ["N", 3] },
    key: { shape: [2], dtype: "int32" },
  },
);
const x = loom.hostTensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [4, 3]);
const out = await forward.run({ ...vars, x, key: loom.key(7) });
// The trees are typed after the model's layers: `state.bn.mean` needs no cast.
const show3 = (t: HostTensor) => loom.toArray(t).map((v) => v.toFixed(3));
console.log(`running mean before: ${show3(vars.state.bn.mean)}`);
console.log(`after a training step: ${show3(out.state.bn.mean)}`);
console.log(`after inference: ${show3(out.inferState.bn.mean)}`);
// #endregion apply

// #region keys
// Random numbers come from explicit keys: split one into independent keys, or fold in a
// counter (a step number); the same key always gives the same numbers, on every backend.
const draw = loom.compile(
  backend,
  ({ key }) => {
    const [a, b] = loom.split(key, 2);
    return {
      a: loom.uniform(a!, [3]),
      again: loom.uniform(a!, [3]),
      b: loom.uniform(b!, [3]),
      step5: loom.normal(loom.foldIn(key, 5), [3]),
    };
  },
  { key: { shape: [2], dtype: "int32" } },
);
const r = await draw.run({ key: loom.key(42) });
for (const [name, t] of Object.entries(r))
  console.log(`${name}: ${loom.toArray(t).map((v) => v.toFixed(4))}`);
// #endregion keys

// #region trees
// Trees map like arrays: here every parameter halved, on the host, keeping the structure.
const halved = loom.mapTree(vars.params, loom.isHostTensor, (t) =>
  loom.hostTensor(
    t.data.map((v) => v / 2),
    t.shape,
  ),
);
// mapTree keeps the tree's type: `halved.hidden.w` is a host tensor, read with no cast.
console.log(
  `hidden.w[0]: ${vars.params.hidden.w.data[0]!.toFixed(4)} -> ${halved.hidden.w.data[0]!.toFixed(4)}`,
);
// Inside a traced function the same trees hold graph tensors (Tree<Tensor>). The L2 penalty
// covers the weights (paths ending in `w`), not biases or batch norm's scales.
const l2 = (params: Tree<Tensor>) => loom.optim.l2Penalty(params, 1);
const penalty = await loom
  .compile(backend, ({ p }) => l2(p), { p: loom.specsOf(vars.params) })
  .run({
    p: vars.params,
  });
console.log(`weights' sum of squares / 2: ${penalty.data[0]!.toFixed(4)}`);
// #endregion trees
const onHost = loom
  .flattenTree(vars.params, loom.isHostTensor)
  .filter(({ path }) => path.endsWith(".w"))
  .reduce((s, { leaf }) => s + loom.toArray(leaf).reduce((a, v) => a + v * v, 0), 0);
console.log(`on the host: ${(onHost / 2).toFixed(4)}`);
backend.dispose();
