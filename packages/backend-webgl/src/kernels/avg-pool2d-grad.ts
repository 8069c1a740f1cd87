import type { AvgPool2dGradCall } from "@loom/graph";
import type { GlslLibraryKernel } from "./kernel";
import { divisorGlsl } from "./avg-pool2d";
import { dims, forEachWindowOf, poolGeometry, unflatten } from "./window";

/**
 * avg_pool2d_grad: dy `[N,C,Ho,Wo]` -> dx `[N,C,H,W]`, as a gather: each dx element sums,
 * over the windows containing it (in row-major order), the window's dy divided by the
 * window's forward divisor.
 */
export const avgPool2dGradGlsl: GlslLibraryKernel<AvgPool2dGradCall> = ({
  inShapes,
  outShape,
  call,
}) => {
  const [, , Ho, Wo] = dims(inShapes[0]!);
  const [N, C, h, w] = outShape as [number, number, number, number];
  const [, , H, W] = dims(outShape);
  const g = poolGeometry(call);
  return `${divisorGlsl(g, H!, W!, call.countIncludePad)}
float lib(int pos) {
  ${unflatten(["p", "h", "w"], [N * C, h, w])}
  float acc = 0.0;
  ${forEachWindowOf(g, Ho!, Wo!, `acc += ld0((p * ${Ho} + ho) * ${Wo} + wo) / divisor(ho, wo);`)}
  return acc;
}`;
};
