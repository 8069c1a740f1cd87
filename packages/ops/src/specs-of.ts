import type { HostTensor, Shape } from "@loom/graph";
import type { TensorSpec } from "./compile";
import { isHostTensor } from "./host";
import type { Tree } from "./pytree";
import { mapTree } from "./pytree";

/**
 * The specs tree of a host tree, keeping its structure: for a model's typed variables
 * (`initModel`'s), `compile` then hands the traced function trees of the same shape, which the
 * model's typed `apply` accepts with no cast. An untyped `Tree<HostTensor>` gives `Tree<TensorSpec>`.
 */
export type SpecsOf<T> =
  Tree<HostTensor> extends T
    ? Tree<TensorSpec>
    : T extends HostTensor
      ? TensorSpec
      : T extends readonly unknown[]
        ? { readonly [K in keyof T]: SpecsOf<T[K]> }
        : T extends object
          ? { readonly [K in keyof T]: SpecsOf<T[K]> }
          : never;

/**
 * The tree of specs (shape and dtype) of a tree of host tensors: what `compile` needs to trace a
 * function that takes those values (`specsOf(params)` for a model's parameters).
 */
export const specsOf = <T extends Tree<HostTensor>>(t: T): SpecsOf<T> =>
  mapTree(t, isHostTensor, (h): TensorSpec => ({
    shape: h.shape as Shape,
    dtype: h.dtype,
  })) as SpecsOf<T>;
