import type { Graph } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Dataset } from "./dataset";

/**
 * The number of classes of a compiled evaluation step: the last dim of its `logits` output, or
 * undefined when the step has none or the dim is symbolic.
 */
export const classesOf = (g: Graph): number | undefined => {
  const logits = Object.hasOwn(g.outputs, "logits") ? g.outputs["logits"] : undefined;
  const c = logits?.shape.at(-1);
  return typeof c === "number" ? c : undefined;
};

/**
 * Checks on the host, before a run, that every label of `data` is a class index in
 * [0, classes). A run cannot tell: cross-entropy's one-hot of label 10 among 10 classes is all
 * zeros, so the example would add 0 to the loss and count as wrong, silently. A LoomError of
 * `op` names the first bad label, its example and the dataset.
 */
export const checkLabels = (op: string, data: Dataset, classes: number, which: string): void => {
  const { labels } = data;
  for (let i = 0; i < data.count; i++) {
    const v = labels[i]!;
    if (!(v >= 0 && v < classes))
      throw new LoomError(
        "invalid_argument",
        op,
        `label ${v} of ${which} example ${i} is not a class index in [0, ${classes}) (the model has ${classes} outputs); fix the labels or the model's number of classes`,
      );
  }
};
