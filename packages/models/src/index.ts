/** @loom/models: architectures, the training loop and datasets. */
export * from "./mlp";
export * from "./registry";
