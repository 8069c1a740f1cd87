import type { Conv2dGradInputCall } from "@loom/graph";
import { glslInt } from "../render-glsl";
import type { GlslLibraryKernel } from "./kernel";
import { dims, unflatten, windowGeometry } from "./window";

/**
 * conv2d_grad_input: dy `[N,O,Ho,Wo]`, w `[O,C/g,KH,KW]` -> dx `[N,C,H,W]`, as a gather: each
 * dx element sums, over its group's output channels and the taps, the output positions whose
 * tap reads it (`ho = (h + padTop - kh*dilation) / stride` when that divides exactly).
 */
export const conv2dGradInputGlsl: GlslLibraryKernel<Conv2dGradInputCall> = ({
  inShapes,
  outShape,
  call,
}) => {
  const [, O, Ho, Wo] = dims(inShapes[0]!);
  const [, I, KH, KW] = dims(inShapes[1]!);
  const perGroupOut = glslInt(inShapes[0]![1]! / call.groups);
  const g = windowGeometry(call);
  return `float lib(int pos) {
  ${unflatten(["n", "c", "h", "w"], outShape)}
  int grp = c / ${I};
  int ci = c % ${I};
  float acc = 0.0;
  for (int oo = 0; oo < ${perGroupOut}; oo++) {
    int o = grp * ${perGroupOut} + oo;
    for (int kh = 0; kh < ${KH}; kh++) {
      int th = h + ${g.pt} - kh * ${g.dh};
      if (th < 0 || th % ${g.sh} != 0 || th / ${g.sh} >= ${Ho}) continue;
      int ho = th / ${g.sh};
      for (int kw = 0; kw < ${KW}; kw++) {
        int tw = w + ${g.pl} - kw * ${g.dw};
        if (tw < 0 || tw % ${g.sw} != 0 || tw / ${g.sw} >= ${Wo}) continue;
        int wo = tw / ${g.sw};
        acc += ld0(((n * ${O} + o) * ${Ho} + ho) * ${Wo} + wo) * ld1(((o * ${I} + ci) * ${KH} + kh) * ${KW} + kw);
      }
    }
  }
  return acc;
}`;
};
