import { formatShape, LoomError } from "@loom/graph";
import type { Tensor } from "../core";
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
