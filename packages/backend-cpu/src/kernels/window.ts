import type { ConvParams, PoolParams } from "@loom/graph";

/**
 * The sliding-window geometry of the convolution and pooling kernels, read once from a call
 * whose attributes the op rules validated. Only the leading paddings place the windows; the
 * trailing ones shape the output (and, with countIncludePad, bound an average's divisor).
 */

/** Strides, leading paddings, dilations and channel groups of a convolution. */
export type ConvGeometry = Readonly<
  Record<"sh" | "sw" | "pt" | "pl" | "dh" | "dw" | "groups", number>
>;

/** Reads a convolution's geometry from its call. */
export const convGeometry = (call: ConvParams): ConvGeometry => {
  const [sh, sw] = call.stride;
  const [pt, , pl] = call.pad;
  const [dh, dw] = call.dilation;
  return { sh, sw, pt, pl, dh, dw, groups: call.groups };
};

/** Kernel size, strides and the four paddings of a pooling window. */
export type PoolGeometry = Readonly<
  Record<"kh" | "kw" | "sh" | "sw" | "pt" | "pb" | "pl" | "pr", number>
>;

/** Reads a pooling op's window from its call. */
export const poolGeometry = (call: PoolParams): PoolGeometry => {
  const [kh, kw] = call.kernel;
  const [sh, sw] = call.stride;
  const [pt, pb, pl, pr] = call.pad;
  return { kh, kw, sh, sw, pt, pb, pl, pr };
};
