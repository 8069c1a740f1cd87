import type { DType } from "@loom/graph";
import type { Tensor } from "../core";
import { isHostTensor } from "../host";
import type { Tree } from "../pytree";
import { mapTree } from "../pytree";
import type { LearningRate } from "./schedules";
import { learningRateAt, nextStep } from "./schedules";
import type { GradientTransformation } from "./transform";
import { initialStep, stateFields, stateScalar, zerosLikeHost, zipLeaves } from "./transform";

/**
 * The rule of one update for one parameter leaf: given the leaf's `grads`, `params` and each
 * slot's previous value (`state.<slot>`), its update `u` and each slot's next value.
 */
export type LeafRule = (leaf: Readonly<Record<string, Tensor>>) => Record<string, Tensor>;

/**
 * The scaffolding shared by SGD, RMSprop and Adam: state `{ step, ...slots }`, each slot a tree
 * like the params starting at zeros; an update reads the step and the slots, makes the leaf
 * rule from the step and the learning rate at that step (`rule` runs once per update, so it
 * may share values between leaves), applies it leaf by leaf and advances the step.
 */
export const slotOptimizer = (
  op: string,
  lr: LearningRate,
  slots: readonly string[],
  rule: (step: Tensor, rate: (dtype: DType) => Tensor) => LeafRule,
): GradientTransformation => ({
  init: (params) => ({
    step: initialStep(),
    ...Object.fromEntries(slots.map((s) => [s, mapTree(params, isHostTensor, zerosLikeHost)])),
  }),
  update: (grads, state, params) => {
    const step = stateScalar(op, state, "step");
    const prev = stateFields(op, state, slots);
    const leafRule = rule(step, learningRateAt(op, lr, step));
    const trees: Record<string, Tree<Tensor>> = { grads, params };
    for (const s of slots) trees[`state.${s}`] = prev[s];
    const out = zipLeaves(op, trees, ["u", ...slots], leafRule);
    return {
      updates: out.u,
      state: { step: nextStep(step), ...Object.fromEntries(slots.map((s) => [s, out[s]])) },
    };
  },
});
