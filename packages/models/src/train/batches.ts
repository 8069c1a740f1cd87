import { LoomError } from "@loom/graph";
import type { HostTensor } from "@loom/graph";
import type { Dataset, Labels } from "../data/dataset";
import { batchOf } from "../data/dataset";
import { epochPermutation } from "./shuffle";

/** Options of {@link batches}. */
export interface BatchOptions {
  readonly batchSize: number;
  /** Shuffle seed: the same seed and epoch give the same order (fit's own shuffle). */
  readonly seed?: number;
  /** The epoch whose order to use (default 0); pass the epoch number for a new order each epoch. */
  readonly epoch?: number;
  /** Shuffle (default true); false keeps the dataset's order. */
  readonly shuffle?: boolean;
  /** Drop the last batch when it is smaller than `batchSize` (default false; `fit` drops it). */
  readonly dropLast?: boolean;
}

/** One batch of a dataset: `x` and `y` host tensors, and the example indices they hold. */
export interface Batch {
  readonly x: HostTensor;
  readonly y: HostTensor;
  readonly indices: Int32Array;
}

/**
 * The batches of one epoch, for hand-written training loops: the order is `fit`'s keyed shuffle
 * of (seed, epoch), so a loop over `for (let e = 0; ...) for (const b of batches(ds, { batchSize,
 * seed, epoch: e }))` sees the batches `fit` would, and a resumed run the same order again.
 */
export function* batches(data: Dataset<Labels>, opts: BatchOptions): Generator<Batch> {
  const { batchSize, seed = 0, epoch = 0, shuffle = true, dropLast = false } = opts;
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new LoomError(
      "invalid_argument",
      "batches",
      `batchSize must be a positive integer, got ${batchSize}`,
    );
  const order = shuffle
    ? epochPermutation(seed, epoch, data.count)
    : Int32Array.from({ length: data.count }, (_, i) => i);
  const end = dropLast ? data.count - (data.count % batchSize) : data.count;
  for (let b = 0; b < end; b += batchSize) {
    const indices = order.subarray(b, Math.min(b + batchSize, end));
    yield { ...batchOf(data, indices), indices };
  }
}
