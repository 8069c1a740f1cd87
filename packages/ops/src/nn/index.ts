/** Layers as init/apply pairs of pure functions, and initializers. */
export * from "./layer";
export * from "./combinators";
export * from "./initializers";
export * from "./dense";
export * from "./conv";
export * from "./batch-norm";
export * from "./dropout";
export * from "./simple";
