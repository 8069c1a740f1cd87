import type { TrainingSetup } from "./setup";

/** A training setup in a few words (`batch norm · augment shift:2 · sgd lr 0.1, cosine`). */
export const setupText = (s: TrainingSetup): string =>
  [
    s.batchNorm ? "batch norm" : "",
    s.augment.trim() === "" ? "" : `augment ${s.augment}`,
    `${s.optimizer} lr ${s.lr}${s.schedule === "" || s.schedule === "constant" ? "" : `, ${s.schedule}`}`,
  ]
    .filter((t) => t !== "")
    .join(" · ");
