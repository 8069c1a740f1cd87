import { describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import type { HostTensor } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Tensor, TensorSpec, Tree, nn } from "@loom/ops";
import { compile, flattenTree, hostTensor, isHostTensor, mapTree, unflattenTree } from "@loom/ops";
import { alexnet, initModel, lenet5, mlp, resnet, vgg } from "@loom/models";
import { rng as seededRng } from "@loom/testing";
import { exportLayer } from "./export-layer";

// Export parity: onnxruntime-node runs the exported file and must agree with loom's own CPU
// backend on the same weights and input, within 1e-5 (absolute plus relative). Batch-norm
// statistics are randomised so that eval-mode normalisation is not the identity.
const backend = cpuBackend();

/** Batch-norm statistics drawn at random: means in [-0.1, 0.1], variances in [0.5, 1.5]. */
const randomStats = (t: Tree<HostTensor>, rng: () => number): Tree<HostTensor> => {
  const leaves = flattenTree(t, isHostTensor).map(({ path, leaf }) => {
    const draw = path.endsWith("var") ? () => 0.5 + rng() : () => (rng() - 0.5) * 0.2;
    return [path, hostTensor(Array.from(leaf.data, draw), leaf.shape)] as const;
  });
  return unflattenTree(t, isHostTensor, new Map(leaves));
};

const cases: readonly (readonly [string, () => nn.Layer, readonly number[]])[] = [
  ["mlp", () => mlp({}), [1, 28, 28]],
  ["lenet5 (batch norm)", () => lenet5({ batchNorm: true }), [1, 28, 28]],
  ["resnet18", () => resnet(18, { width: 0.25, classes: 10 }), [3, 32, 32]],
  ["alexnet", () => alexnet({ width: 0.25, hidden: 64, classes: 10, dropout: 0.5 }), [3, 63, 63]],
  [
    "vgg11 (batch norm)",
    () => vgg(11, { width: 0.25, hidden: 64, classes: 10, batchNorm: true }),
    [3, 32, 32],
  ],
];

const forward = (layer: nn.Layer, t: Tree<Tensor>): Tensor => {
  const v = t as { params: Tree<Tensor>; state: Tree<Tensor>; x: Tensor };
  return layer.apply(v.params, v.state, v.x, { training: false }).y;
};

/** Runs a layer's eval-mode forward pass on loom's CPU backend. */
const loomForward = async (
  layer: nn.Layer,
  vars: { params: Tree<HostTensor>; state: Tree<HostTensor> },
  x: HostTensor,
) => {
  const specs: Tree<TensorSpec> = {
    params: mapTree(vars.params, isHostTensor, (h) => ({ shape: h.shape })),
    state: mapTree(vars.state, isHostTensor, (h) => ({ shape: h.shape })),
    x: { shape: x.shape },
  };
  const f = compile(backend, (t: Tree<Tensor>) => forward(layer, t), specs);
  const y = (await f.run({ params: vars.params, state: vars.state, x })) as HostTensor;
  f.dispose();
  return y;
};

describe("ONNX export parity with onnxruntime-node", () => {
  it.each(cases)(
    "%s",
    async (_, make, example) => {
      const layer = make();
      const rng = seededRng(7);
      const init = await initModel(backend, layer, 1, { shape: [1, ...example] });
      // Running means anywhere, running variances positive (no batch norm: an empty state).
      const vars = { params: init.params, state: randomStats(init.state, rng) };
      const bytes = exportLayer(layer, vars, example);
      const x = hostTensor(
        Array.from({ length: 2 * example.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1),
        [2, ...example],
      );
      const expected = await loomForward(layer, vars, x);
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({
        x: new ort.Tensor("float32", x.data as Float32Array, [...x.shape]),
      });
      const got = out["logits"]!;
      expect(got.dims).toEqual(expected.shape);
      // A model whose logits were all equal would make the comparison vacuous.
      expect(new Set(expected.data).size).toBeGreaterThan(expected.shape[1]!);
      const worst = Array.from(expected.data).reduce(
        (m, e, i) => Math.max(m, Math.abs((got.data as Float32Array)[i]! - e) / (1 + Math.abs(e))),
        0,
      );
      expect(worst).toBeLessThan(1e-5);
    },
    60_000,
  );
});
