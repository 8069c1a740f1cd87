import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { hostTensor } from "@loom/ops";

/** An in-memory image classification dataset: `count` images, NCHW, pixel values in [0, 1]. */
export interface Dataset {
  /** `count * 1 * 28 * 28` values, image after image, each row-major (row 0 is the top). */
  readonly images: Float32Array;
  /** One class index per image. */
  readonly labels: Int32Array;
  readonly count: number;
  /** Shape of one example (channels, height, width). */
  readonly shape: readonly [1, 28, 28];
}

/**
 * Copies the examples at `indices` into a batch: `x` f32[B,1,28,28] and `y` i32[B]. Copies (not
 * views) so a training step may keep or reuse the batch while the dataset stays shared.
 */
export const batchOf = (
  ds: Dataset,
  indices: Int32Array | readonly number[],
): { x: HostTensor; y: HostTensor } => {
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2];
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
