import type { Conv2dGradFilterCall } from "@loom/graph";
import { glslInt } from "../render-glsl";
import type { GlslLibraryKernel } from "./kernel";
import { dims, forEachTap, unflatten, windowGeometry } from "./window";

/**
 * conv2d_grad_filter: x `[N,C,H,W]`, dy `[N,O,Ho,Wo]` -> dw `[O,C/g,KH,KW]`: each filter tap
 * sums input times output gradient over the batch and every output position, in the
 * reference's order.
 */
export const conv2dGradFilterGlsl: GlslLibraryKernel<Conv2dGradFilterCall> = ({
  inShapes,
  outShape,
  call,
}) => {
  const [N, C, H, W] = dims(inShapes[0]!);
  const [, O, Ho, Wo] = dims(inShapes[1]!);
  const [, I] = dims(outShape);
  const perGroupOut = glslInt(outShape[0]! / call.groups);
  const g = windowGeometry(call);
  return `float lib(int pos) {
  ${unflatten(["o", "ci", "kh", "kw"], outShape)}
  int c0 = (o / ${perGroupOut}) * ${I};
  float acc = 0.0;
  for (int n = 0; n < ${N}; n++) {
    int xb = (n * ${C} + c0 + ci) * ${H};
    int db = (n * ${O} + o) * ${Ho};
    ${forEachTap(g, ["ho", Ho!], ["wo", Wo!], H!, W!, `acc += ld0((xb + h) * ${W} + w) * ld1((db + ho) * ${Wo} + wo);`)}
  }
  return acc;
}`;
};
