/**
 * Everything of the main entry except `loadMnist`, whose `mnist` package
 * is ~21 MB of JSON that a web page should not download (the web app ships a binary copy of it
 * and splits it with the same `splitMnist`).
 *
 * @module \@loom/models/browser
 */
export * from "./registry";
export * from "./zoo/perceptron";
export * from "./zoo/mlp";
export * from "./zoo/lenet";
export * from "./zoo/alexnet";
export * from "./zoo/vgg";
export * from "./zoo/resnet";
export * from "./summary";
export * from "./train/init";
export * from "./train/shuffle";
export * from "./train/step";
export * from "./train/train-graph";
export * from "./train/fit";
export * from "./train/evaluate";
export * from "./train/batches";
export * from "./train/early-stopping";
export * from "./train/classification-metrics";
export * from "./train/recipe";
export * from "./data/dataset";
export * from "./data/mnist-split";
export * from "./checkpoint/safetensors";
export * from "./checkpoint/bundle";
export * from "./checkpoint/run-config";
export * from "./features";
export * from "./data/label-shuffling";
export * from "./torch-names";
export * from "./torch-state-dict";
