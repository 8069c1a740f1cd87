import type { ConvParams, PoolParams } from "@loom/graph";
import { glslInt } from "../render-glsl";

/**
 * The sliding-window geometry of a convolution or pooling op, from attributes the op rules
 * validated, each value already rendered as a GLSL int literal (so every number is checked).
 */
export interface WindowGeometry {
  readonly sh: string;
  readonly sw: string;
  readonly pt: string;
  readonly pl: string;
  readonly dh: string;
  readonly dw: string;
}

/** Reads stride, padding (top and left; the far sides only shape the output) and dilation. */
export const windowGeometry = ({
  stride,
  pad,
  dilation,
}: Omit<ConvParams, "groups">): WindowGeometry => ({
  sh: glslInt(stride[0]),
  sw: glslInt(stride[1]),
  pt: glslInt(pad[0]),
  pl: glslInt(pad[2]),
  dh: glslInt(dilation[0]),
  dw: glslInt(dilation[1]),
});

/**
 * GLSL looping a row index and a column index (each `[name, count]`: the window positions
 * `ho`/`wo` or the taps `kh`/`kw`) over the taps of a sliding window, with `h` and `w` the
 * input position `ho*sh - pt + kh*dh` (and across), skipping positions outside the `H x W`
 * input (zero or -infinity padding), and running `body` for each, in row-major order.
 */
export const forEachTap = (
  g: WindowGeometry,
  [r, nr]: readonly [string, string],
  [c, nc]: readonly [string, string],
  H: string,
  W: string,
  body: string,
): string =>
  `for (int ${r} = 0; ${r} < ${nr}; ${r}++) {
    int h = ho * ${g.sh} - ${g.pt} + kh * ${g.dh};
    if (h < 0 || h >= ${H}) continue;
    for (int ${c} = 0; ${c} < ${nc}; ${c}++) {
      int w = wo * ${g.sw} - ${g.pl} + kw * ${g.dw};
      if (w < 0 || w >= ${W}) continue;
      ${body}
    }
  }`;

/** Every dim of a shape rendered as a GLSL int literal. */
export const dims = (shape: readonly number[]): string[] => shape.map(glslInt);

/** GLSL declaring `names` (outermost first) as the multi-index of flat `pos` in `shape` (row-major). */
export const unflatten = (names: readonly string[], shape: readonly number[]): string => {
  const lines: string[] = [];
  let stride = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    const div = stride === 1 ? "pos" : `(pos / ${glslInt(stride)})`;
    lines.push(
      a === 0 ? `int ${names[a]} = ${div};` : `int ${names[a]} = ${div} % ${glslInt(shape[a]!)};`,
    );
    stride *= shape[a]!;
  }
  return lines.reverse().join("\n  ");
};

/** A pooling window: kernel size, strides and paddings, as GLSL int literals. */
export interface PoolGeometry extends WindowGeometry {
  readonly KH: string;
  readonly KW: string;
  /** The bottom and right paddings: they bound an average's divisor with countIncludePad. */
  readonly pb: string;
  readonly pr: string;
}

/** Reads a pooling op's window (a convolution window of dilation 1) from its validated attributes. */
export const poolGeometry = (call: PoolParams): PoolGeometry => ({
  ...windowGeometry({ ...call, dilation: [1, 1] }),
  KH: glslInt(call.kernel[0]),
  KW: glslInt(call.kernel[1]),
  pb: glslInt(call.pad[1]),
  pr: glslInt(call.pad[3]),
});

/**
 * GLSL looping `kh`/`kw` over the windows `(ho, wo)` (of a `Ho x Wo` output) that contain
 * input element `(h, w)`, in the row-major order of the windows (the order the reference
 * kernels accumulate in), running `body` for each.
 */
export const forEachWindowOf = (g: PoolGeometry, Ho: string, Wo: string, body: string): string =>
  `for (int a = ${g.KH} - 1; a >= 0; a--) {
    int th = h + ${g.pt} - a;
    if (th < 0 || th % ${g.sh} != 0 || th / ${g.sh} >= ${Ho}) continue;
    int ho = th / ${g.sh};
    for (int b = ${g.KW} - 1; b >= 0; b--) {
      int tw = w + ${g.pl} - b;
      if (tw < 0 || tw % ${g.sw} != 0 || tw / ${g.sw} >= ${Wo}) continue;
      int wo = tw / ${g.sw};
      ${body}
    }
  }`;
