/**
 * The op catalogue, the user-facing graph-building API, composites and compilation.
 *
 * @module \@loom/ops
 */
export * from "./core";
export * from "./table";
export * from "./pytree";
export * from "./host";
export * from "./compile";
export * from "./device";
export * from "./specs-of";
export * from "./predict";
export * from "./autodiff";
export * from "./pipeline";
export * from "./dump";
export * from "./api/elementwise";
export * from "./api/movement";
export * from "./api/reduce";
export * from "./api/nn";
export * from "./composites/activations";
export * from "./composites/softmax";
export * from "./api/options";
export * from "./composites/losses";
export * from "./composites/one-hot";
export * from "./composites/pooling";
export * from "./composites/linear";
export * from "./random";
/** Layers: `{ init, apply }` pairs and their combinators (`sequential`, `residual`). */
export * as nn from "./nn";
/** Optimizers as Optax-style gradient transformations, schedules and regularizers. */
export * as optim from "./optim";
/** Data augmentations as keyed graph functions, for `trainStep`'s `augment`. */
export * as augment from "./augment";
