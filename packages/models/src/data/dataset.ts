import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { hostTensor } from "@loom/ops";

/**
 * An in-memory classification dataset: `count` examples of one shape (MNIST: [1, 28, 28] images,
 * NCHW, pixel values in [0, 1]; any shape, so that small synthetic problems train the same way).
 */
export interface Dataset {
  /** `count * prod(shape)` values, example after example, each row-major (image row 0 is the top). */
  readonly images: Float32Array;
  /** One class index per example. */
  readonly labels: Int32Array;
  readonly count: number;
  /** Shape of one example (channels, height, width for images). */
  readonly shape: readonly number[];
}

/** The number of values of one example. */
export const exampleSize = (ds: Pick<Dataset, "shape">): number =>
  ds.shape.reduce((a, b) => a * b, 1);

/**
 * Copies the examples at `indices` into a batch: `x` f32[B, ...shape] and `y` i32[B]. Copies (not
 * views) so a training step may keep or reuse the batch while the dataset stays shared.
 */
export const batchOf = (
  ds: Dataset,
  indices: Int32Array | readonly number[],
): { x: HostTensor; y: HostTensor } => {
  const size = exampleSize(ds);
  const b = indices.length;
  const x = new Float32Array(b * size);
  const y = new Int32Array(b);
  for (let k = 0; k < b; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= ds.count) {
      throw new LoomError(
        "invalid_argument",
        "batchOf",
        `index ${i} (position ${k}) is not an example index in [0, ${ds.count})`,
      );
    }
    x.set(ds.images.subarray(i * size, (i + 1) * size), k * size);
    y[k] = ds.labels[i]!;
  }
  return { x: hostTensor(x, [b, ...ds.shape]), y: hostTensor(y, [b], "int32") };
};

/** Examples `from` to `to` (exclusive) of a dataset, as views that share its arrays. */
export const sliceDataset = (ds: Dataset, from: number, to: number): Dataset => {
  if (!(
    Number.isInteger(from) &&
    Number.isInteger(to) &&
    0 <= from &&
    from <= to &&
    to <= ds.count
  )) {
    throw new LoomError(
      "invalid_argument",
      "sliceDataset",
      `[${from}, ${to}) is not a range of example indices within [0, ${ds.count}]`,
    );
  }
  const size = exampleSize(ds);
  return {
    images: ds.images.subarray(from * size, to * size),
    labels: ds.labels.subarray(from, to),
    count: to - from,
    shape: ds.shape,
  };
};

/** Holds out the last `count` examples for validation (the split is fixed, so runs are comparable). */
export const splitValidation = (ds: Dataset, count: number): { train: Dataset; val?: Dataset } => {
  if (count === 0) return { train: ds };
  const n = ds.count - count;
  return { train: sliceDataset(ds, 0, n), val: sliceDataset(ds, n, ds.count) };
};
