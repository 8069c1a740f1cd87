import { nn } from "@loom/ops";

/** A single-layer perceptron: flatten, then one dense layer to the class scores (no hidden layer). */
export const perceptron = (classes = 10) =>
  nn.sequential({ flatten: nn.flatten(), fc: nn.dense(classes) });
