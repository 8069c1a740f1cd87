import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor, Tree, nn } from "@loom/ops";
import { isHostTensor, mapTree, reshape } from "@loom/ops";
import { constantOf } from "./context";
import type { ImportedModel } from "./import-model";

/**
 * An imported model with one input as a loom layer, so that `evaluate`, `fit` (fine-tuning)
 * and the feature views take it like a zoo model: `init` gives the imported weights, `apply`
 * reshapes each example to the model's input shape (a `[N, 784]` model takes MNIST's
 * `[N, 1, 28, 28]`) and returns `output` (default the first).
 */
export const asLayer = (m: ImportedModel, output: string = m.outputs[0] ?? ""): nn.Layer => {
  const entries = Object.entries(m.inputs);
  if (entries.length !== 1 || !m.outputs.includes(output))
    throw new LoomError(
      "invalid_argument",
      "asLayer",
      `a layer has one input and one output; ${m.name} has inputs ${entries.map(([k]) => k).join(", ")} and outputs ${m.outputs.join(", ")}`,
    );
  const [name, spec] = entries[0]!;
  return {
    kind: `onnx:${m.name}`,
    init: () => ({
      params: mapTree(m.params, isHostTensor, (h: HostTensor) => constantOf(h)),
      state: {},
    }),
    apply: (params: Tree<Tensor>, state: Tree<Tensor>, x: Tensor) => {
      const target = [x.shape[0]!, ...spec.shape.slice(1)];
      const fits = target.every((d, i) => d === x.shape[i]) && target.length === x.shape.length;
      const y = m.apply(params, { [name]: fits ? x : reshape(x, target) })[output]!;
      return { y, state };
    },
  };
};
