import type { Conv2dCall, Conv2dGradFilterCall, Conv2dGradInputCall } from "@loom/graph";
import { glslInt as I } from "../render-glsl";
import { loader } from "../shader-frame";
import type { GatherGemmSpec, LinearTap } from "./conv-gather";
import { gatherCost, gatherGemm, im2colCost } from "./conv-gather";
import { gemmTiled } from "./gemm";
import type { TiledArgs, TiledGenerator, TiledKernel } from "./tiled";
import { windowGeometry } from "./window";

// The convolution and its two gradients as tiled GEMMs (`gemmTiled`): the pack passes gather
// the windows (im2col, never stored in a buffer of the plan), the product pass is the GEMM's,
// and the frame maps the output's NCHW/OIHW index to a GEMM element. Grouped convolutions keep
// the one-fragment-per-element kernels.

/** Below this many multiply-adds the three extra draws cost more than tiling saves (measured on SwiftShader). */
const MIN_MACS = 32768;

/** Whether a convolution call is tiled: ungrouped float32, and big enough unless forced. */
const tiles = (
  a: TiledArgs<Conv2dCall | Conv2dGradInputCall | Conv2dGradFilterCall>,
  macs: number,
): boolean =>
  a.limits.mode !== "never" &&
  a.call.groups === 1 &&
  a.inputs.every((b) => b.dtype === "float32") &&
  (a.limits.mode === "always" || macs >= MIN_MACS);

/**
 * The gather GEMM of a convolution (`conv-gather.ts`; source input 0, weights `[_, _, KH, KW]`
 * input 1) when it is estimated cheaper than the im2col GEMM (`cost`) and fits: rows
 * `N x P x Q`, `J` columns, a `[N, C, H, W]` source read through `taps` (rows, columns).
 */
const viaGather = (
  a: TiledArgs<Conv2dCall | Conv2dGradInputCall>,
  [N, P, Q, J, C, H, W]: readonly number[],
  taps: readonly [LinearTap, LinearTap],
  weightAt: string,
  lib: string,
  cost: number,
): TiledKernel | undefined => {
  const g: GatherGemmSpec = {
    N: N!,
    P: P!,
    Q: Q!,
    J: J!,
    KH: a.inShapes[1]![2]!,
    KW: a.inShapes[1]![3]!,
    src: { input: 0, loader: loader(0, a.inputs[0]!), C: C!, H: H!, W: W! },
    tapY: taps[0],
    tapX: taps[1],
    weight: { input: 1, loader: loader(0, a.inputs[1]!), at: weightAt },
    lib,
  };
  return gatherCost(g) < cost ? gatherGemm(g, a.frameUnits, a.limits) : undefined;
};

/** GLSL declaring `a`, `b`, `c` (outermost first) as the multi-index of `v` in `[_, B, C]`. */
const split3 = (names: readonly [string, string, string], v: string, B: number, C: number) =>
  `int ${names[0]} = ${v} / ${I(B * C)}; int ${names[2]} = ${v} % ${I(C)}; int ${names[1]} = (${v} / ${I(C)}) % ${I(B)};`;

/** GLSL setting `e` to input element `(n, c, h, w)` of an `[_, C, H, W]` input, left 0 in the padding. */
const inputTap = (C: number, H: number, W: number) =>
  `if (h >= 0 && h < ${I(H)} && w >= 0 && w < ${I(W)}) e = ld0(((n * ${I(C)} + c) * ${I(H)} + h) * ${I(W)} + w);`;

/** The product as `[N*Ho*Wo, C*KH*KW] x [C*KH*KW, O]`: rows are output positions, A gathers the input windows. */
export const conv2dTiled: TiledGenerator<Conv2dCall> = (a) => {
  const [N, C, H, W] = a.inShapes[0]!;
  const [O, , KH, KW] = a.inShapes[1]!;
  const [, , Ho, Wo] = a.outShape;
  const K = C! * KH! * KW!;
  const P = N! * Ho! * Wo!;
  if (!tiles(a, P * O! * K)) return undefined;
  const g = windowGeometry(a.call);
  const lib = `float lib(int pos) {
  ${split3(["n", "o", "r"], "pos", O!, Ho! * Wo!)}
  return prod(0, n * ${I(Ho! * Wo!)} + r, o);
}`;
  const { stride, pad, dilation } = a.call;
  return (
    viaGather(
      a,
      [N!, Ho!, Wo!, O!, C!, H!, W!],
      [
        { a: stride[0], b: dilation[0], c: -pad[0], d: 1, size: H! },
        { a: stride[1], b: dilation[1], c: -pad[2], d: 1, size: W! },
      ],
      `e = ld0(((i * ${I(C!)} + ch) * ${I(KH!)} + kh) * ${I(KW!)} + kw);`,
      lib,
      im2colCost(P, K, O!),
    ) ??
    gemmTiled(
      {
        batch: 1,
        M: P,
        N: O!,
        K,
        a: {
          input: 0,
          loader: loader(0, a.inputs[0]!),
          row: `${split3(["n", "ho", "wo"], "i", Ho!, Wo!)}
    int h0 = ho * ${g.sh} - ${g.pt};
    int w0 = wo * ${g.sw} - ${g.pl};`,
          at: `${split3(["c", "kh", "kw"], "k", KH!, KW!)}
      int h = h0 + kh * ${g.dh};
      int w = w0 + kw * ${g.dw};
      ${inputTap(C!, H!, W!)}`,
        },
        b: {
          input: 1,
          loader: loader(0, a.inputs[1]!),
          row: `int o = i * ${I(K)};`,
          at: "e = ld0(o + k);",
        },
        lib,
      },
      a.frameUnits,
      a.limits,
    )
  );
};

/** dx as `[N*H*W, O*KH*KW] x [O*KH*KW, C]`: A gathers, for each input position, the output gradients of the windows over it. */
export const conv2dGradInputTiled: TiledGenerator<Conv2dGradInputCall> = (a) => {
  const [N, O, Ho, Wo] = a.inShapes[0]!;
  const [, C, KH, KW] = a.inShapes[1]!;
  const [, , H, W] = a.outShape;
  const K = O! * KH! * KW!;
  const P = N! * H! * W!;
  if (!tiles(a, P * C! * K)) return undefined;
  const g = windowGeometry(a.call);
  const lib = `float lib(int pos) {
  ${split3(["n", "c", "r"], "pos", C!, H! * W!)}
  return prod(0, n * ${I(H! * W!)} + r, c);
}`;
  // Output position o reads dy at (o + pad - k * dilation) / stride, where that divides exactly.
  const { stride, pad, dilation } = a.call;
  return (
    viaGather(
      a,
      [N!, H!, W!, C!, O!, Ho!, Wo!],
      [
        { a: 1, b: -dilation[0], c: pad[0], d: stride[0], size: Ho! },
        { a: 1, b: -dilation[1], c: pad[2], d: stride[1], size: Wo! },
      ],
      `e = ld0(((ch * ${I(C!)} + i) * ${I(KH!)} + kh) * ${I(KW!)} + kw);`,
      lib,
      im2colCost(P, K, C!),
    ) ??
    gemmTiled(
      {
        batch: 1,
        M: P,
        N: C!,
        K,
        a: {
          input: 0,
          loader: loader(0, a.inputs[0]!),
          row: `${split3(["n", "h", "w"], "i", H!, W!)}
    int h0 = h + ${g.pt};
    int w0 = w + ${g.pl};`,
          at: `${split3(["o", "kh", "kw"], "k", KH!, KW!)}
      int th = h0 - kh * ${g.dh};
      int tw = w0 - kw * ${g.dw};
      int ho = th / ${g.sh};
      int wo = tw / ${g.sw};
      if (th >= 0 && tw >= 0 && ho * ${g.sh} == th && wo * ${g.sw} == tw && ho < ${I(Ho!)} && wo < ${I(Wo!)})
        e = ld0(((n * ${I(O!)} + o) * ${I(Ho!)} + ho) * ${I(Wo!)} + wo);`,
        },
        b: {
          input: 1,
          loader: loader(0, a.inputs[1]!),
          row: `int c = i;`,
          at: `${split3(["o", "kh", "kw"], "k", KH!, KW!)}
      e = ld0(((o * ${I(C!)} + c) * ${I(KH!)} + kh) * ${I(KW!)} + kw);`,
        },
        lib,
      },
      a.frameUnits,
      a.limits,
    )
  );
};

/**
 * dw as `[O, N*Ho*Wo] x [N*Ho*Wo, C*KH*KW]`: a reduction over the batch and every output
 * position, which the GEMM splits into partial products (no fragment loops over all of it).
 */
export const conv2dGradFilterTiled: TiledGenerator<Conv2dGradFilterCall> = (a) => {
  const [N, C, H, W] = a.inShapes[0]!;
  const [, O, Ho, Wo] = a.inShapes[1]!;
  const [, , KH, KW] = a.outShape;
  const K = N! * Ho! * Wo!;
  const J = C! * KH! * KW!;
  if (!tiles(a, O! * J * K)) return undefined;
  const g = windowGeometry(a.call);
  return gemmTiled(
    {
      batch: 1,
      M: O!,
      N: J,
      K,
      a: {
        input: 1,
        loader: loader(0, a.inputs[1]!),
        row: `int o = i;`,
        at: `int n = k / ${I(Ho! * Wo!)};
      e = ld0((n * ${I(O!)} + o) * ${I(Ho! * Wo!)} + k - n * ${I(Ho! * Wo!)});`,
      },
      b: {
        input: 0,
        loader: loader(0, a.inputs[0]!),
        row: `${split3(["c", "kh", "kw"], "i", KH!, KW!)}
    int h0 = kh * ${g.dh} - ${g.pt};
    int w0 = kw * ${g.dw} - ${g.pl};`,
        at: `${split3(["n", "ho", "wo"], "k", Ho!, Wo!)}
      int h = ho * ${g.sh} + h0;
      int w = wo * ${g.sw} + w0;
      ${inputTap(C!, H!, W!)}`,
      },
      lib: `float lib(int pos) { return prod(0, pos / ${I(J)}, pos % ${I(J)}); }`,
    },
    a.frameUnits,
    a.limits,
  );
};
