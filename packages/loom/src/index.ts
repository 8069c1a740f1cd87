/**
 * loom in one import: `import * as loom from "@loom/loom"`. The graph-building API, layers
 * (`nn`), optimizers (`optim`), augmentations (`augment`) and compilation from `@loom/ops`; the
 * model zoo, training (`initModel`, `trainStep`, `fit`), summaries and checkpoint bundles from
 * `@loom/models/browser`; tensors, dtypes, errors and the pass pipeline from `@loom/graph`; and
 * both backends. Browser-safe: MNIST loading (`@loom/models`) and checkpoint files
 * (`@loom/models/node`) are their own imports, since they pull in a 21 MB data set and Node's
 * file system.
 *
 * @module \@loom/loom
 */
export * from "@loom/graph";
export * from "@loom/ops";
export * from "@loom/models/browser";
export { cpuBackend, defaultThreads, threadsAvailable } from "@loom/backend-cpu";
export type { CpuBackendOptions, ThreadOptions } from "@loom/backend-cpu";
export { webglBackend } from "@loom/backend-webgl";
export type { WebGLBackendOptions, WebGLTarget } from "@loom/backend-webgl";
// Shadows the star export of @loom/ops' predict: the same function, with a default backend.
export { predict } from "./predict";
