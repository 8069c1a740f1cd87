import { formatShape, LoomError } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import { avgPool2d, concat, mean, nn, slice } from "@loom/ops";

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

/**
 * Adaptive average pooling to `[N, C, size, size]` exactly as torch.nn.AdaptiveAvgPool2d:
 * output bin i averages input rows `floor(i*H/size)` to `ceil((i+1)*H/size)`, so a map smaller
 * than `size` is replicated. It is the identity when the map is already `size` (AlexNet and
 * VGG at 224x224), one average pool when `size` divides the map, else per-bin slices and means
 * (separable: rows then columns), which keeps AlexNet's and VGG's classifiers valid at any
 * input size.
 */
export const adaptiveAvgPool2d = (size: number): nn.Layer =>
  nn.fnLayer("adaptiveAvgPool2d", (x) => {
    const [h, w] = [x.shape[2], x.shape[3]];
    if (x.shape.length !== 4 || typeof h !== "number" || typeof w !== "number") {
      throw new LoomError(
        "invalid_argument",
        "adaptiveAvgPool2d",
        `needs an NCHW input with concrete spatial dims, got ${formatShape(x.shape)}`,
        [x.shape],
      );
    }
    if (h === size && w === size) return x;
    if (h % size === 0 && w % size === 0 && h >= size && w >= size) {
      const kernel = [h / size, w / size] as const;
      return avgPool2d(x, { kernel, stride: kernel });
    }
    return poolAxis(poolAxis(x, 2, size), 3, size);
  });
