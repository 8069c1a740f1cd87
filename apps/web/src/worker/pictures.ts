/**
 * What the page draws of a model, as images: an activation's channels, and the first layer's
 * weights (a convolution's filters, or the first dense layer's units as 28x28 images, as
 * ConvNetJS and tfjs-vis show them).
 */
import type { HostTensor } from "@loom/graph";
import type { Tree } from "@loom/ops";
import { flattenTree, isHostTensor } from "@loom/ops";
import type { FeatureMaps } from "../protocol";

/** At most this many channels of an activation travel to the page (ResNet-20 has 60 taps). */
export const MAX_CHANNELS = 16;

/** At most this many first-layer filters or units are drawn. */
export const MAX_FILTERS = 32;

/**
 * One example's activation as images: `[1, C, H, W]` as its first `MAX_CHANNELS` channels,
 * `[1, F]` (a dense layer's output) as one 1 x F strip.
 */
export const activationImages = (name: string, t: HostTensor): FeatureMaps => {
  const [, c = 1, h = 1, w = 1] = t.shape.length === 4 ? t.shape : [1, 1, 1, t.shape.at(-1) ?? 1];
  const channels = Math.min(c, MAX_CHANNELS);
  return {
    name,
    channels,
    height: h,
    width: w,
    data: Float32Array.from(t.data.subarray(0, channels * h * w)),
  };
};

/**
 * The first layer's weights as images, or undefined when the first weight is neither: a conv
 * kernel `[O, I, kh, kw]` gives its first `MAX_FILTERS` filters on the first input channel, a
 * dense kernel `[units, 784]` its first units as 28x28 images. The first 2-D or 4-D parameter
 * in the tree's order (the model's) is the first layer's kernel.
 */
export const firstLayerImages = (params: Tree<HostTensor>): FeatureMaps | undefined => {
  const first = flattenTree(params, isHostTensor, "params").find(
    ({ leaf }) => leaf.shape.length === 4 || leaf.shape.length === 2,
  );
  if (first === undefined) return undefined;
  const { path, leaf } = first;
  const [o = 0, i = 0, kh = 28, kw = 28] = leaf.shape;
  if (leaf.shape.length === 2 && i !== 784) return undefined;
  const channels = Math.min(o, MAX_FILTERS);
  const size = kh * kw;
  // A conv filter's first input channel starts at o * i * size; a dense unit's row at o * 784.
  const stride = leaf.shape.length === 4 ? i * size : 784;
  const data = new Float32Array(channels * size);
  for (let c = 0; c < channels; c++)
    data.set(leaf.data.subarray(c * stride, c * stride + size), c * size);
  return { name: path, channels, height: kh, width: kw, data };
};
