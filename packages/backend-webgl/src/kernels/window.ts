import type { ConvParams, Pair, PoolParams } from "@loom/graph";
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
export const windowGeometry = (call: ConvParams): WindowGeometry => {
  const [sh, sw] = call.stride;
  const [pt, , pl] = call.pad;
  const [dh, dw]: Pair = call.dilation;
  return {
    sh: glslInt(sh!),
    sw: glslInt(sw!),
    pt: glslInt(pt!),
    pl: glslInt(pl!),
    dh: glslInt(dh!),
    dw: glslInt(dw!),
  };
};

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

/** A pooling window: kernel size, strides and the top/left paddings, as GLSL int literals. */
export interface PoolGeometry {
  readonly KH: string;
  readonly KW: string;
  readonly sh: string;
  readonly sw: string;
  readonly pt: string;
  readonly pl: string;
}

/** Reads a pooling op's window from its validated attributes. */
export const poolGeometry = (call: PoolParams): PoolGeometry => {
  const [KH, KW] = call.kernel;
  const [sh, sw] = call.stride;
  const [pt, , pl] = call.pad;
  return {
    KH: glslInt(KH!),
    KW: glslInt(KW!),
    sh: glslInt(sh!),
    sw: glslInt(sw!),
    pt: glslInt(pt!),
    pl: glslInt(pl!),
  };
};

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
