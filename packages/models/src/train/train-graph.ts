import type { Dim, Graph, HostTensor } from "@loom/graph";
import { allocTyped, numel } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "@loom/ops";
import { isSpec, mapTree, trace } from "@loom/ops";
import type { ModelEntry, ModelOptions } from "../registry";
import { getModel, varSpecs } from "../registry";
import { makeOptimizer } from "./recipe";
import type { StepSetup } from "./step";
import { specsOf, trainStep } from "./step";

const zerosOf = (specs: Tree<TensorSpec>): Tree<HostTensor> =>
  mapTree(specs, isSpec, (s): HostTensor => {
    const shape = s.shape as number[];
    return {
      data: allocTyped(s.dtype ?? "float32", numel(shape)),
      shape,
      dtype: s.dtype ?? "float32",
    };
  });

/**
 * The training-step graph of a zoo model (by name) or any model entry (Adam, softmax cross-entropy,
 * unless `setup` names another optimizer or adds augmentation): forward, backward, update and the
 * new state in one graph, as `loom train` compiles it. Shared by `loom inspect` and the
 * inspector, so both show the same step.
 */
export const trainGraph = (
  model: string | ModelEntry,
  batch: Dim,
  opts: ModelOptions = {},
  setup: Partial<Pick<StepSetup, "optimizer" | "augment">> = {},
): Graph => {
  const { layer, input } = typeof model === "string" ? getModel(model, opts) : model;
  const vars = varSpecs(layer, { shape: [1, ...input] });
  const optimizer = setup.optimizer ?? makeOptimizer("adam", 1e-3);
  const opt = specsOf(optimizer.init(zerosOf(vars.params)));
  return trace(
    trainStep({
      model: layer,
      optimizer,
      ...(setup.augment === undefined ? {} : { augment: setup.augment }),
    }) as unknown as (i: unknown) => Tree<Tensor>,
    {
      ...vars,
      optState: opt,
      x: { shape: [batch, ...input] },
      y: { shape: [batch], dtype: "int32" },
      key: { shape: [2], dtype: "int32" },
      step: { shape: [], dtype: "int32" },
    } as Tree<TensorSpec>,
  ).graph;
};
