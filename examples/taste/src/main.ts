import { compile, cpuBackend, grad, hostTensor, matmul, softmaxCrossEntropy } from "@loom/loom";
import type { Tensor } from "@loom/loom";

// A pure function of tensors: it builds a graph, nothing runs yet.
const loss = (w: Tensor, x: Tensor, y: Tensor) => softmaxCrossEntropy(matmul(x, w), y);

// Traced once and compiled for the backend; "N" is a batch size not yet known.
const step = compile(
  cpuBackend(),
  ({ w, x, y }) => ({ loss: loss(w, x, y), dw: grad(loss)(w, x, y) }),
  { w: { shape: [4, 3] }, x: { shape: ["N", 4] }, y: { shape: ["N"], dtype: "int32" } },
);

// Host tensors in, host tensors out: a few steps of gradient descent on two examples.
let w = hostTensor(new Float32Array(12), [4, 3]);
const x = hostTensor([1, 0, 0, 1, 0, 1, 1, 0], [2, 4]);
const y = hostTensor([2, 0], [2], "int32");
for (let i = 0; i < 5; i++) {
  const { loss: l, dw } = await step.run({ w, x, y });
  console.log(`step ${i}: loss ${l.data[0]!.toFixed(4)}`);
  w = hostTensor(
    w.data.map((v, j) => v - 0.5 * dw.data[j]!),
    w.shape,
  );
}
