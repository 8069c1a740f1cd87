/**
 * Architectures, the training loop and datasets.
 *
 * @module \@loom/models
 */
export * from "./browser";
export * from "./data/mnist";
