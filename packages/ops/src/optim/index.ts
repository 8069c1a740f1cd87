/** loom's optimizers: Optax-style gradient transformations, learning-rate schedules and regularisers. */
export * from "./transform";
export * from "./schedules";
export * from "./sgd";
export * from "./rmsprop";
export * from "./adam";
export * from "./clip";
export * from "./weight-decay";
export * from "./regularizers";
