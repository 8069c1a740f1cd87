import type { Tensor } from "../core";
import { isTensor, scalar } from "../core";
import { abs, add, cast, mul, square } from "../api/elementwise";
import { sum } from "../api/reduce";
import type { Tree } from "../pytree";
import { flattenTree } from "../pytree";
import { checkHyper, widestFloat } from "./transform";

/** Chooses parameter leaves by their dotted path (`dense1.w`, `layers.0.bias`). */
export type LeafFilter = (path: string) => boolean;

/**
 * Selects weights: leaves whose last path segment is `w` or `weight` (loom's layers and
 * torch's modules), so that biases and batch-norm scales are not penalised, as is usual.
 */
export const weightsOnly: LeafFilter = (path) => {
  const last = path.slice(path.lastIndexOf(".") + 1);
  return last === "w" || last === "weight";
};

/** Selects every leaf. */
export const allLeaves: LeafFilter = () => true;

// Sums `f(leaf)` over the chosen leaves in their widest dtype; 0 of the params' dtype when none is chosen.
const sumOver = (params: Tree<Tensor>, filter: LeafFilter, f: (w: Tensor) => Tensor): Tensor => {
  const all = flattenTree(params, isTensor);
  const chosen = all.filter((p) => filter(p.path)).map((p) => p.leaf);
  const dtype = widestFloat(chosen.length > 0 ? chosen : all.map((p) => p.leaf));
  return chosen.map((w) => cast(sum(f(w)), dtype)).reduce((a, b) => add(a, b), scalar(0, dtype));
};

/** A penalty `factor(lambda) * sum(f(w))` over the leaves a filter chooses (weights by default). */
export type Penalty = (params: Tree<Tensor>, lambda: number, filter?: LeafFilter) => Tensor;

const penalty =
  (op: string, f: (w: Tensor) => Tensor, factor: (lambda: number) => number): Penalty =>
  (params, lambda, filter = weightsOnly) => {
    checkHyper(op, "lambda", lambda, (v) => v >= 0, "a number >= 0");
    return mul(sumOver(params, filter, f), factor(lambda));
  };

/**
 * The L2 penalty `lambda / 2 * sum(w^2)` over the leaves `filter` chooses (weights by
 * default), a loss term added before taking the gradient: its gradient is `lambda * w`,
 * torch's `weight_decay` for plain SGD.
 */
export const l2Penalty: Penalty = penalty("l2Penalty", square, (lambda) => lambda / 2);

/**
 * The L1 penalty `lambda * sum(|w|)` over the leaves `filter` chooses (weights by default),
 * a loss term whose gradient `lambda * sign(w)` pushes weights to exactly 0.
 */
export const l1Penalty: Penalty = penalty("l1Penalty", abs, (lambda) => lambda);
