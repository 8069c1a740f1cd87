/** @loom/ops: the op catalogue, the user-facing graph-building API, composites and compilation. */
export * from "./core";
export * from "./table";
export * from "./pytree";
export * from "./host";
export * from "./compile";
export * from "./autodiff";
export * from "./api/elementwise";
export * from "./api/movement";
export * from "./api/reduce";
export * from "./api/nn";
export * from "./composites/softmax";
export * from "./composites/losses";
export * from "./composites/one-hot";
export * from "./composites/pooling";
export * from "./composites/linear";
export * from "./random";
export * as nn from "./nn";
export * as optim from "./optim";
