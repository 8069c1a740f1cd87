import type { nn as nnTypes } from "@loom/ops";
import { nn } from "@loom/ops";

// Adaptive average pooling lives in @loom/ops now (`adaptiveAvgPool2d(x, [oh, ow])`,
// `nn.adaptiveAvgPool2d`, `adaptiveBins`); these names stay for existing imports.
export { adaptiveBins } from "@loom/ops";

/** Adaptive average pooling to `[N, C, size, size]` as a layer: `nn.adaptiveAvgPool2d` of @loom/ops. */
export const adaptiveAvgPool2d = (size: number): nnTypes.Layer => nn.adaptiveAvgPool2d(size);
