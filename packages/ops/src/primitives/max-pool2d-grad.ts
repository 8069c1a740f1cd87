import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { LibraryDef } from "@loom/graph";
import { formatShape, LoomError } from "@loom/graph";
import type { MaxPool2dAttrs } from "./max-pool2d";
import { maxPoolAttrs } from "./max-pool2d";
import { imageOp, poolShape } from "./window-attrs";

/** The forward max pooling's attributes; the input x itself tells where the maxima are. */
export type MaxPool2dGradAttrs = MaxPool2dAttrs;

/**
 * `max_pool2d_grad(x, dy)`: the gradient of max_pool2d: each window's cotangent `dy` goes to the
 * first maximal element of the window in row-major order (as PyTorch and TensorFlow.js do);
 * overlapping windows accumulate. The result is shaped like x.
 *
 * Differentiating it again is not supported: its VJP rule throws a LoomError of code
 * `unsupported` when called (so first-order gradients work, and only asking for a gradient of
 * this gradient fails, with a message rather than a wrong value).
 */
export const maxPool2dGrad: LibraryDef<MaxPool2dGradAttrs> = {
  name: "max_pool2d_grad",
  fusion: "library",
  libraryCall: (a) => ({ kind: "max_pool2d_grad", ...maxPoolAttrs(a) }),
  // The result may take x's memory when x dies here (the forward activation, after the relu
  // mask moved onto the pooled gradient): kernels read a plane of x before writing it.
  overwrites: 0,
  infer: (inputs, rawAttrs) => {
    const op = "max_pool2d_grad";
    const [x, dy] = [inputs[0]!, inputs[1]!];
    return pipe(
      imageOp(op, inputs, rawAttrs, ["x", "dy"], ["NCHW", "NCHW"]),
      E.chain(({ attrs, shapes }) => poolShape(op, x, attrs, shapes, undefined, dy)),
      E.filterOrElse(
        () => dy.shape[0] === x.shape[0] && dy.shape[1] === x.shape[1],
        () =>
          new LoomError(
            "shape_mismatch",
            op,
            `dy ${formatShape(dy.shape)} must have the batch and channels of x ${formatShape(x.shape)}`,
            inputs.map((t) => t.shape),
          ),
      ),
      E.map(() => ({ shape: x.shape, dtype: x.dtype })),
    );
  },
  vjp: () => {
    throw new LoomError(
      "unsupported",
      "max_pool2d_grad",
      "second-order gradients through max pooling (gradients of max_pool2d_grad) are not supported; use avg pooling or a strided convolution if you need them",
    );
  },
};
