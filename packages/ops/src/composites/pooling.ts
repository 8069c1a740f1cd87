import { formatShape, LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { concat, slice } from "../api/movement";
import { avgPool2d } from "../api/nn";
import { mean } from "../api/reduce";

/** Global average pooling: `[N,C,H,W]` to `[N,C]`, the mean over each feature map (ResNet's head). */
export const globalAvgPool = (x: Tensor): Tensor => {
  if (x.shape.length !== 4) {
    throw new LoomError(
      "rank_mismatch",
      "globalAvgPool",
      `expects an NCHW tensor of rank 4, got ${formatShape(x.shape)}`,
      [x.shape],
    );
  }
  return mean(x, [2, 3]);
};

/** The `[start, end)` input rows of adaptive pooling's output bin `i` (PyTorch's rule). */
export const adaptiveBins = (inSize: number, outSize: number): [number, number][] =>
  Array.from({ length: outSize }, (_, i) => [
    Math.floor((i * inSize) / outSize),
    Math.ceil(((i + 1) * inSize) / outSize),
  ]);

const poolAxis = (x: Tensor, axis: 2 | 3, outSize: number): Tensor => {
  const size = x.shape[axis] as number;
  if (size === outSize) return x;
  const begin = [0, 0, 0, 0];
  const end: (number | null)[] = [null, null, null, null];
  const parts = adaptiveBins(size, outSize).map(([lo, hi]) => {
    begin[axis] = lo;
    end[axis] = hi;
    return mean(slice(x, begin, end), [axis], true);
  });
  return concat(parts, axis);
};

/** An output size of adaptive pooling: one size for both axes, or `[oh, ow]` (null keeps that axis). */
export type AdaptiveSize = number | readonly [number | null, number | null];

/**
 * Adaptive average pooling of `[N, C, H, W]` to `[N, C, oh, ow]` exactly as
 * torch.nn.functional.adaptive_avg_pool2d: output bin i averages input rows `floor(i*H/oh)`
 * to `ceil((i+1)*H/oh)` (columns likewise), so a map smaller than the output is replicated.
 * The identity when the map already has the output size, one average pool when the output
 * divides the map, else per-bin slices and means (separable: rows then columns).
 */
export const adaptiveAvgPool2d = (x: Tensor, outputSize: AdaptiveSize): Tensor => {
  const op = "adaptiveAvgPool2d";
  const [h, w] = [x.shape[2], x.shape[3]];
  if (x.shape.length !== 4 || typeof h !== "number" || typeof w !== "number") {
    throw new LoomError(
      "invalid_argument",
      op,
      `needs an NCHW input with concrete spatial dims, got ${formatShape(x.shape)}`,
      [x.shape],
    );
  }
  const [oh, ow] =
    typeof outputSize === "number"
      ? [outputSize, outputSize]
      : Array.isArray(outputSize) && outputSize.length === 2
        ? [outputSize[0] ?? h, outputSize[1] ?? w]
        : [NaN, NaN];
  if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1) {
    throw new LoomError(
      "invalid_argument",
      op,
      `outputSize must be a positive integer or [oh, ow] of them (null keeps the input size), got ${JSON.stringify(outputSize)}`,
      [x.shape],
    );
  }
  if (h === oh && w === ow) return x;
  if (h % oh === 0 && w % ow === 0 && h >= oh && w >= ow) {
    const kernel = [h / oh, w / ow] as const;
    return avgPool2d(x, { kernel, stride: kernel });
  }
  return poolAxis(poolAxis(x, 2, oh), 3, ow);
};
