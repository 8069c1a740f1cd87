import type { AvgPool2dCall } from "@loom/graph";
import type { GlslLibraryKernel } from "./kernel";
import type { PoolGeometry } from "./window";
import { dims, forEachTap, poolGeometry, unflatten } from "./window";

/**
 * GLSL `float divisor(int ho, int wo)`: the divisor of window `(ho, wo)`: with
 * `countIncludePad` its size clipped to the padded input (the kernel size, unless ceilMode
 * lets the last window run past the trailing padding; PyTorch's), else the number of its
 * in-bounds elements.
 */
export const divisorGlsl = (g: PoolGeometry, H: string, W: string, includePad: boolean): string =>
  `float divisor(int ho, int wo) {
  int h0 = ho * ${g.sh} - ${g.pt};
  int w0 = wo * ${g.sw} - ${g.pl};
  return float(${
    includePad
      ? `(min(h0 + ${g.KH}, ${H} + ${g.pb}) - h0) * (min(w0 + ${g.KW}, ${W} + ${g.pr}) - w0)`
      : `(min(h0 + ${g.KH}, ${H}) - max(h0, 0)) * (min(w0 + ${g.KW}, ${W}) - max(w0, 0))`
  });
}`;

/** avg_pool2d: x `[N,C,H,W]` -> `[N,C,Ho,Wo]`, the mean of each window (padding counts as zero). */
export const avgPool2dGlsl: GlslLibraryKernel<AvgPool2dCall> = ({ inShapes, outShape, call }) => {
  const [, , H, W] = dims(inShapes[0]!);
  const g = poolGeometry(call);
  return `${divisorGlsl(g, H!, W!, call.countIncludePad)}
float lib(int pos) {
  ${unflatten(["p", "ho", "wo"], [outShape[0]! * outShape[1]!, outShape[2]!, outShape[3]!])}
  int base = p * ${H} * ${W};
  float acc = 0.0;
  ${forEachTap(g, ["kh", g.KH], ["kw", g.KW], H!, W!, `acc += ld0(base + h * ${W} + w);`)}
  return acc / divisor(ho, wo);
}`;
};
