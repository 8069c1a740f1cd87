/** @loom/models: architectures, the training loop and datasets. */
export * from "./browser";
export * from "./data/mnist";
