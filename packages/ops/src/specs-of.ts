import type { HostTensor, Shape } from "@loom/graph";
import type { TensorSpec } from "./compile";
import { isHostTensor } from "./host";
import type { Tree } from "./pytree";
import { mapTree } from "./pytree";

/**
 * The tree of specs (shape and dtype) of a tree of host tensors: what `compile` needs to trace a
 * function that takes those values (`specsOf(params)` for a model's parameters).
 */
export const specsOf = (t: Tree<HostTensor>): Tree<TensorSpec> =>
  mapTree(t, isHostTensor, (h): TensorSpec => ({ shape: h.shape as Shape, dtype: h.dtype }));
