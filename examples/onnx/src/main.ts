/**
 * ONNX out and in: a small CNN exported to ONNX (opset 13, its variables as initializers named
 * by their paths), run in onnxruntime-node, imported back as a pure loom function and used
 * through `predict`; the three answers are compared. `tsx src/main.ts [batch]` (default 4).
 */
import * as loom from "@loom/loom";
import { asLayer, exportLayer, importOnnx } from "@loom/onnx";
import * as ort from "onnxruntime-node";

const batch = Number(process.argv[2] ?? 4);
const model = loom.nn.sequential({
  conv: loom.nn.conv2d(4, 3, { padding: 1 }),
  bn: loom.nn.batchNorm(),
  act: loom.nn.relu(),
  pool: loom.nn.maxPool2d({ kernel: 2 }),
  flat: loom.nn.flatten(),
  fc: loom.nn.dense(10),
});
const backend = loom.cpuBackend();
const vars = await loom.initModel(backend, model, 0, { shape: [1, 1, 28, 28] });
const x = loom.hostTensor(
  Array.from({ length: batch * 784 }, (_, i) => Math.sin(i)),
  [batch, 1, 28, 28],
);

// #region export
// loom -> ONNX: the inference function (batch norm on its running statistics), input `x`
// with a named batch dim `N`, output `logits`.
const bytes = exportLayer(model, vars, [1, 28, 28]);
// #endregion export

// #region onnxruntime
// The same file in onnxruntime (Node here; onnxruntime-web in a browser, Python on a server).
const session = await ort.InferenceSession.create(bytes);
const feeds = { x: new ort.Tensor("float32", Float32Array.from(x.data), x.shape) };
const { logits } = await session.run(feeds);
// #endregion onnxruntime

// #region import
// ONNX -> loom: a pure function with its initializers as an explicit parameter tree, here
// wrapped as a layer so that predict, evaluate and fit (fine-tuning) take it.
const imported = importOnnx(bytes);
const layer = asLayer(imported);
const fromOnnx = await loom.predict(layer, imported.params)(x);
// #endregion import

const direct = await loom.predict(model, vars.params, vars.state, { backend })(x);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
console.log(
  `onnx: ${bytes.length} bytes, opset ${imported.opset}, ops ${Object.keys(imported.opCounts).join(" ")}`,
);
console.log(
  `parameters: ${loom
    .flattenTree(imported.params, loom.isHostTensor)
    .map((l) => l.path)
    .join(", ")}`,
);
console.log(
  `onnxruntime vs loom: max difference ${maxDiff(logits!.data as Float32Array, direct.data).toExponential(1)}`,
);
console.log(
  `imported vs loom: max difference ${maxDiff(fromOnnx.data, direct.data).toExponential(1)}`,
);
backend.dispose();
