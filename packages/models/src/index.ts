/** @loom/models: architectures, the training loop and datasets. */
export * from "./registry";
export * from "./zoo/perceptron";
export * from "./zoo/mlp";
export * from "./zoo/lenet";
export * from "./train/init";
export * from "./train/shuffle";
export * from "./train/step";
export * from "./train/fit";
export * from "./train/recipe";
export * from "./data/dataset";
export * from "./data/mnist";
export * from "./checkpoint/safetensors";
export * from "./checkpoint/bundle";
