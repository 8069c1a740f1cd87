import type { MaxPool2dGradCall } from "@loom/graph";
import type { GlslLibraryKernel } from "./kernel";
import { argmaxWindowGlsl } from "./max-pool2d";
import { dims, forEachWindowOf, poolGeometry, unflatten } from "./window";

/**
 * max_pool2d_grad: (x, dy) -> dx shaped like x, as a gather: each x element sums the dy of
 * the windows (in row-major order) whose first arg-max it is, so ties send the gradient to
 * the first maximal element only.
 */
export const maxPool2dGradGlsl: GlslLibraryKernel<MaxPool2dGradCall> = ({
  inShapes,
  outShape,
  call,
}) => {
  const [, , H, W] = dims(inShapes[0]!);
  const [, , Ho, Wo] = dims(inShapes[1]!);
  const g = poolGeometry(call);
  const [N, C, h, w] = outShape as [number, number, number, number];
  return `${argmaxWindowGlsl(g, H!, W!)}
float lib(int pos) {
  ${unflatten(["p", "h", "w"], [N * C, h, w])}
  int base = p * ${H} * ${W};
  int me = h * ${W} + w;
  float acc = 0.0;
  ${forEachWindowOf(g, Ho!, Wo!, `if (argmaxWindow(base, ho, wo) == me) acc += ld1((p * ${Ho} + ho) * ${Wo} + wo);`)}
  return acc;
}`;
};
