import type { MaxPool2dCall } from "@loom/graph";
import type { GlslLibraryKernel } from "./kernel";
import type { PoolGeometry } from "./window";
import { dims, forEachTap, poolGeometry, unflatten } from "./window";

/**
 * GLSL `int argmaxWindow(int base, int ho, int wo)`: the plane offset of the first maximal
 * element of window `(ho, wo)` in row-major order, NaN counting as the maximum (as the
 * reference and PyTorch). Every window holds a real element (padding is smaller than the kernel).
 */
export const argmaxWindowGlsl = (g: PoolGeometry, H: string, W: string): string =>
  `int argmaxWindow(int base, int ho, int wo) {
  int best = -1;
  float bestV = 0.0;
  ${forEachTap(
    g,
    ["kh", g.KH],
    ["kw", g.KW],
    H,
    W,
    `float v = ld0(base + h * ${W} + w);
      if (best < 0 || v > bestV || (l_isnan(v) && !l_isnan(bestV))) {
        best = h * ${W} + w;
        bestV = v;
      }`,
  )}
  return best;
}`;

/** max_pool2d: x `[N,C,H,W]` -> `[N,C,Ho,Wo]`, the value at each window's arg-max. */
export const maxPool2dGlsl: GlslLibraryKernel<MaxPool2dCall> = ({ inShapes, outShape, call }) => {
  const [, , H, W] = dims(inShapes[0]!);
  const g = poolGeometry(call);
  return `${argmaxWindowGlsl(g, H!, W!)}
float lib(int pos) {
  ${unflatten(["p", "ho", "wo"], [outShape[0]! * outShape[1]!, outShape[2]!, outShape[3]!])}
  int base = p * ${H} * ${W};
  return ld0(base + argmaxWindow(base, ho, wo));
}`;
};
