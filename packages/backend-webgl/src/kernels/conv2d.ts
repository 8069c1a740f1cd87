import type { Conv2dCall } from "@loom/graph";
import { glslInt } from "../render-glsl";
import type { GlslLibraryKernel } from "./kernel";
import { dims, forEachTap, unflatten, windowGeometry } from "./window";

/**
 * conv2d: x `[N,C,H,W]`, w `[O,C/g,KH,KW]` -> `[N,O,Ho,Wo]`. One fragment per output element
 * sums its group's input channels and taps in the reference's order; taps that fall in the
 * padding are skipped (zero padding).
 */
export const conv2dGlsl: GlslLibraryKernel<Conv2dCall> = ({ inShapes, outShape, call }) => {
  const [, C, H, W] = dims(inShapes[0]!);
  const [, I, KH, KW] = dims(inShapes[1]!);
  const perGroupOut = glslInt(outShape[1]! / call.groups);
  const g = windowGeometry(call);
  return `float lib(int pos) {
  ${unflatten(["n", "o", "ho", "wo"], outShape)}
  int c0 = (o / ${perGroupOut}) * ${I};
  float acc = 0.0;
  for (int ci = 0; ci < ${I}; ci++) {
    int xb = (n * ${C} + c0 + ci) * ${H};
    int wb = (o * ${I} + ci) * ${KH};
    ${forEachTap(g, ["kh", KH!], ["kw", KW!], H!, W!, `acc += ld0((xb + h) * ${W} + w) * ld1((wb + kh) * ${KW} + kw);`)}
  }
  return acc;
}`;
};
