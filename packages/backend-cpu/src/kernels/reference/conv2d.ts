import type {
  Conv2dCall,
  Conv2dGradFilterCall,
  Conv2dGradInputCall,
  ConvParams,
  LibraryCall,
  TypedArray,
} from "@loom/graph";
import type { LibraryArgs, LibraryKernelImpl } from "../kernel";
import { convGeometry } from "../window";

/**
 * The three convolution kernels are one sum, `y[n,o,ho,wo] += x[n,c,h,w] * w[o,ci,kh,kw]`,
 * read from different operands: the forward pass accumulates into y, the input gradient into
 * x (from y's gradient and w), the filter gradient into w (from x and y's gradient). So the
 * reference visits every multiply of that sum once and each kernel scatters it into its own
 * output, in a float64 accumulator (one rounding to the output's type at the end).
 */

/** The flat positions of the three operands that one multiply of the convolution joins. */
type Visit = (xi: number, wi: number, yi: number) => void;

/** The input position a tap reads, or -1 in the padding: `i = o*stride - padLo + k*dilation`. */
const tap = (o: number, k: number, stride: number, padLo: number, dil: number, size: number) => {
  const i = o * stride - padLo + k * dil;
  return i >= 0 && i < size ? i : -1;
};

/**
 * Visits every multiply of a convolution of x `[N,C,H,W]` with w `[O,C/g,KH,KW]` into
 * y `[N,O,Ho,Wo]`; output channel o sees the input channels of its group `floor(o / (O/g))`.
 */
const forEachTap = (
  [N, C, H, W]: readonly number[],
  [O, I, KH, KW]: readonly number[],
  [Ho, Wo]: readonly number[],
  call: ConvParams,
  visit: Visit,
): void => {
  const g = convGeometry(call);
  const perGroupOut = O! / g.groups;
  for (let n = 0; n < N!; n++) {
    for (let o = 0; o < O!; o++) {
      const c0 = Math.floor(o / perGroupOut) * I!;
      for (let ho = 0; ho < Ho!; ho++) {
        for (let wo = 0; wo < Wo!; wo++) {
          const yi = ((n * O! + o) * Ho! + ho) * Wo! + wo;
          for (let ci = 0; ci < I!; ci++) {
            for (let kh = 0; kh < KH!; kh++) {
              const h = tap(ho, kh, g.sh, g.pt, g.dh, H!);
              if (h < 0) continue;
              for (let kw = 0; kw < KW!; kw++) {
                const w = tap(wo, kw, g.sw, g.pl, g.dw, W!);
                if (w >= 0)
                  visit(
                    ((n * C! + c0 + ci) * H! + h) * W! + w,
                    ((o * I! + ci) * KH! + kh) * KW! + kw,
                    yi,
                  );
              }
            }
          }
        }
      }
    }
  }
};

/**
 * A reference convolution kernel: `shapes` names the x, w and y shapes among the call's input
 * and output shapes, and `madd` adds one multiply's product into the float64 accumulator.
 */
const convReference =
  <C extends ConvParams & LibraryCall>(
    shapes: (args: LibraryArgs<C>) => readonly (readonly number[])[],
    madd: (acc: Float64Array, a: TypedArray, b: TypedArray) => Visit,
  ): LibraryKernelImpl<C> =>
  (args) => {
    const [x, w, y] = shapes(args);
    const acc = new Float64Array(args.out.length);
    forEachTap(x!, w!, y!.slice(2), args.call, madd(acc, args.inputs[0]!, args.inputs[1]!));
    args.out.set(acc);
  };

/** conv2d: x `[N,C,H,W]`, w `[O,C/g,KH,KW]` -> y `[N,O,Ho,Wo]`. */
export const conv2dReference = convReference<Conv2dCall>(
  ({ inShapes, outShape }) => [inShapes[0]!, inShapes[1]!, outShape],
  (acc, x, w) => (xi, wi, yi) => {
    acc[yi]! += x[xi]! * w[wi]!;
  },
);

/** conv2d_grad_input: dy `[N,O,Ho,Wo]`, w `[O,C/g,KH,KW]` -> dx `[N,C,H,W]`. */
export const conv2dGradInputReference = convReference<Conv2dGradInputCall>(
  ({ inShapes, outShape }) => [outShape, inShapes[1]!, inShapes[0]!],
  (acc, dy, w) => (xi, wi, yi) => {
    acc[xi]! += dy[yi]! * w[wi]!;
  },
);

/** conv2d_grad_filter: x `[N,C,H,W]`, dy `[N,O,Ho,Wo]` -> dw `[O,C/g,KH,KW]`. */
export const conv2dGradFilterReference = convReference<Conv2dGradFilterCall>(
  ({ inShapes, outShape }) => [inShapes[0]!, outShape, inShapes[1]!],
  (acc, x, dy) => (xi, wi, yi) => {
    acc[wi]! += x[xi]! * dy[yi]!;
  },
);
