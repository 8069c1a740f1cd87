/** Data augmentation: keyed image transforms that run on the backend as graph ops, and their helpers. */
export type { Augmentation } from "./common";
export { pipeline } from "./common";
export { rotate, scale, translate } from "./resample";
export * from "./geometric";
export * from "./color";
export * from "./pca";
