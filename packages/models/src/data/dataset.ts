import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { hostTensor } from "@loom/ops";

/** What a dataset's labels are: class indices (classification) or float targets (regression). */
export type Labels = Int32Array | Float32Array;

/**
 * An in-memory dataset: `count` examples of one shape (MNIST: [1, 28, 28] images, NCHW, pixel
 * values in [0, 1]; any shape, so that small synthetic problems train the same way) and their
 * labels: one class index per example (an Int32Array), or float targets of `labelShape` per
 * example (a Float32Array) for regression.
 */
export interface Dataset<L extends Labels = Int32Array> {
  /** `count * prod(shape)` values, example after example, each row-major (image row 0 is the top). */
  readonly images: Float32Array;
  /** One class index per example, or `count * prod(labelShape)` float targets. */
  readonly labels: L;
  readonly count: number;
  /** Shape of one example (channels, height, width for images). */
  readonly shape: readonly number[];
  /** Shape of one example's label (default `[]`: one value). */
  readonly labelShape?: readonly number[];
}

/** The dtype and per-example shape of a dataset's labels, as a training step's `y` takes them. */
export const labelSpec = (
  ds: Pick<Dataset<Labels>, "labels" | "labelShape">,
): { dtype: "int32" | "float32"; shape: readonly number[] } => ({
  dtype: ds.labels instanceof Int32Array ? "int32" : "float32",
  shape: ds.labelShape ?? [],
});

/** The number of values of one example. */
export const exampleSize = (ds: Pick<Dataset, "shape">): number =>
  ds.shape.reduce((a, b) => a * b, 1);

/**
 * Copies the examples at `indices` into a batch: `x` f32[B, ...shape] and `y` i32[B]. Copies (not
 * views) so a training step may keep or reuse the batch while the dataset stays shared.
 */
export const batchOf = (
  ds: Dataset<Labels>,
  indices: Int32Array | readonly number[],
): { x: HostTensor; y: HostTensor } => {
  const size = exampleSize(ds);
  const label = labelSpec(ds);
  const lsize = exampleSize(label);
  const b = indices.length;
  const x = new Float32Array(b * size);
  const y = label.dtype === "int32" ? new Int32Array(b * lsize) : new Float32Array(b * lsize);
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
    y.set(ds.labels.subarray(i * lsize, (i + 1) * lsize), k * lsize);
  }
  return {
    x: hostTensor(x, [b, ...ds.shape]),
    y: hostTensor(y, [b, ...label.shape], label.dtype),
  };
};

/** Examples `from` to `to` (exclusive) of a dataset, as views that share its arrays. */
export const sliceDataset = <L extends Labels>(
  ds: Dataset<L>,
  from: number,
  to: number,
): Dataset<L> => {
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
  const lsize = exampleSize(labelSpec(ds));
  return {
    images: ds.images.subarray(from * size, to * size),
    labels: ds.labels.subarray(from * lsize, to * lsize) as L,
    count: to - from,
    shape: ds.shape,
    ...(ds.labelShape === undefined ? {} : { labelShape: ds.labelShape }),
  };
};

/** Holds out the last `count` examples for validation (the split is fixed, so runs are comparable). */
export const splitValidation = <L extends Labels>(
  ds: Dataset<L>,
  count: number,
): { train: Dataset<L>; val?: Dataset<L> } => {
  if (count === 0) return { train: ds };
  const n = ds.count - count;
  return { train: sliceDataset(ds, 0, n), val: sliceDataset(ds, n, ds.count) };
};
