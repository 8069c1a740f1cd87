import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Tensor, TensorSpec, Tree, nn } from "@loom/ops";
import { compile, hostTensor, isHostTensor, mapTree } from "@loom/ops";
import {
  alexnet,
  cifarResnet,
  initModel,
  lenet5,
  mlp,
  perceptron,
  resnet,
  vgg,
} from "@loom/models";
import { rng } from "@loom/testing";
import { applyTree, importOnnx } from "../import/import-model";
import { exportLayer } from "./export-layer";

// export -> import gives the same function: every zoo architecture (narrowed by `width` where
// the full one would be slow) is exported, imported back and run on loom's CPU backend, and
// must agree with the original layer on random inputs.
const backend = cpuBackend();

const zoo: readonly (readonly [string, () => nn.Layer, readonly number[]])[] = [
  ["perceptron", () => perceptron(10), [1, 28, 28]],
  ["mlp", () => mlp({}), [1, 28, 28]],
  ["lenet", () => lenet5({ batchNorm: true }), [1, 28, 28]],
  ["alexnet", () => alexnet({ width: 0.125, hidden: 32, classes: 10 }), [3, 63, 63]],
  ["vgg11", () => vgg(11, { width: 0.125, hidden: 32, classes: 10 }), [3, 32, 32]],
  ["vgg16", () => vgg(16, { width: 0.125, hidden: 32, classes: 10, batchNorm: true }), [3, 32, 32]],
  ["resnet18", () => resnet(18, { width: 0.125, classes: 10 }), [3, 32, 32]],
  ["resnet34", () => resnet(34, { width: 0.125, classes: 10 }), [3, 32, 32]],
  ["resnet50", () => resnet(50, { width: 0.125, classes: 10 }), [3, 32, 32]],
  ["resnet20", () => cifarResnet(20, { inputChannels: 1 }), [1, 28, 28]],
  ["resnet32", () => cifarResnet(32, { inputChannels: 1, width: 0.5 }), [1, 28, 28]],
  ["resnet56", () => cifarResnet(56, { inputChannels: 1, width: 0.5 }), [1, 28, 28]],
];

const run = async (
  fn: (t: Tree<Tensor>) => Tensor | Record<string, Tensor>,
  specs: Tree<TensorSpec>,
  feeds: Tree<HostTensor>,
) => {
  const f = compile(backend, fn, specs);
  const out = await f.run(feeds);
  f.dispose();
  return out;
};

const specsOf = (t: Tree<HostTensor>): Tree<TensorSpec> =>
  mapTree(t, isHostTensor, (h) => ({ shape: h.shape, dtype: h.dtype }));

describe("ONNX round trip: export then import", () => {
  it.each(zoo)(
    "%s",
    async (_, make, example) => {
      const layer = make();
      const vars = await initModel(backend, layer, 2, { shape: [1, ...example] });
      const model = importOnnx(exportLayer(layer, vars, example));
      expect(model.inputs["x"]!.shape).toEqual(["N", ...example]);
      const next = rng(5);
      const x = hostTensor(
        Array.from({ length: 3 * example.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1),
        [3, ...example],
      );
      const expected = (await run(
        (t) => {
          const v = t as { params: Tree<Tensor>; state: Tree<Tensor>; x: Tensor };
          return layer.apply(v.params, v.state, v.x, { training: false }).y;
        },
        { params: specsOf(vars.params), state: specsOf(vars.state), x: { shape: x.shape } },
        { params: vars.params, state: vars.state, x },
      )) as HostTensor;
      const got = (await run(
        (t) => applyTree(model, t),
        { params: specsOf(model.params), inputs: { x: { shape: x.shape } } },
        { params: model.params, inputs: { x } },
      )) as Record<string, HostTensor>;
      const y = got["logits"]!;
      expect(y.shape).toEqual(expected.shape);
      const worst = Array.from(expected.data).reduce(
        (m, e, i) => Math.max(m, Math.abs(y.data[i]! - e)),
        0,
      );
      expect(worst).toBeLessThan(1e-5);
    },
    60_000,
  );
});
