import type { OpTableOf } from "@loom/graph";
import type { NoAttrs } from "./primitives/rules";
import { abs } from "./primitives/abs";
import { add } from "./primitives/add";
import { avgPool2d, type AvgPool2dAttrs } from "./primitives/avg-pool2d";
import { avgPool2dGrad, type AvgPool2dGradAttrs } from "./primitives/avg-pool2d-grad";
import { bitwiseAnd } from "./primitives/bitwise-and";
import { bitwiseNot } from "./primitives/bitwise-not";
import { bitwiseOr } from "./primitives/bitwise-or";
import { bitwiseXor } from "./primitives/bitwise-xor";
import { broadcast, type BroadcastAttrs } from "./primitives/broadcast";
import { cast, type CastAttrs } from "./primitives/cast";
import { concat, type ConcatAttrs } from "./primitives/concat";
import { constant, type ConstantAttrs } from "./primitives/constant";
import { conv2d, type Conv2dAttrs } from "./primitives/conv2d";
import { conv2dGradFilter, type Conv2dGradFilterAttrs } from "./primitives/conv2d-grad-filter";
import { conv2dGradInput, type Conv2dGradInputAttrs } from "./primitives/conv2d-grad-input";
import { cos } from "./primitives/cos";
import { div } from "./primitives/div";
import { eq } from "./primitives/eq";
import { exp } from "./primitives/exp";
import { flip, type FlipAttrs } from "./primitives/flip";
import { floor } from "./primitives/floor";
import { ge } from "./primitives/ge";
import { gt } from "./primitives/gt";
import { input, type InputAttrs } from "./primitives/input";
import { iota, type IotaAttrs } from "./primitives/iota";
import { le } from "./primitives/le";
import { log } from "./primitives/log";
import { lt } from "./primitives/lt";
import { matmul } from "./primitives/matmul";
import { maxPool2d, type MaxPool2dAttrs } from "./primitives/max-pool2d";
import { maxPool2dGrad, type MaxPool2dGradAttrs } from "./primitives/max-pool2d-grad";
import { maximum } from "./primitives/maximum";
import { minimum } from "./primitives/minimum";
import { mod } from "./primitives/mod";
import { mul } from "./primitives/mul";
import { ne } from "./primitives/ne";
import { neg } from "./primitives/neg";
import { pad, type PadAttrs } from "./primitives/pad";
import { pow } from "./primitives/pow";
import { recip } from "./primitives/recip";
import { reduceMax, type ReduceAttrs } from "./primitives/reduce-max";
import { reduceSum } from "./primitives/reduce-sum";
import { reshape, type ReshapeAttrs } from "./primitives/reshape";
import { select } from "./primitives/select";
import { shiftLeft } from "./primitives/shift-left";
import { shiftRightLogical } from "./primitives/shift-right-logical";
import { sigmoid } from "./primitives/sigmoid";
import { sign } from "./primitives/sign";
import { sin } from "./primitives/sin";
import { slice, type SliceAttrs } from "./primitives/slice";
import { softplus } from "./primitives/softplus";
import { sqrt } from "./primitives/sqrt";
import { sub } from "./primitives/sub";
import { tanh } from "./primitives/tanh";
import { threefry } from "./primitives/threefry";
import { transpose, type TransposeAttrs } from "./primitives/transpose";

/** The attributes of every primitive; its keys are the primitive set. */
export type PrimitiveAttrs = {
  input: InputAttrs;
  constant: ConstantAttrs;
  neg: NoAttrs;
  abs: NoAttrs;
  sign: NoAttrs;
  exp: NoAttrs;
  log: NoAttrs;
  sqrt: NoAttrs;
  recip: NoAttrs;
  sin: NoAttrs;
  cos: NoAttrs;
  tanh: NoAttrs;
  sigmoid: NoAttrs;
  softplus: NoAttrs;
  floor: NoAttrs;
  add: NoAttrs;
  sub: NoAttrs;
  mul: NoAttrs;
  div: NoAttrs;
  maximum: NoAttrs;
  minimum: NoAttrs;
  pow: NoAttrs;
  mod: NoAttrs;
  eq: NoAttrs;
  ne: NoAttrs;
  lt: NoAttrs;
  le: NoAttrs;
  gt: NoAttrs;
  ge: NoAttrs;
  bitwise_and: NoAttrs;
  bitwise_or: NoAttrs;
  bitwise_xor: NoAttrs;
  bitwise_not: NoAttrs;
  shift_left: NoAttrs;
  shift_right_logical: NoAttrs;
  select: NoAttrs;
  threefry: NoAttrs;
  cast: CastAttrs;
  iota: IotaAttrs;
  reduce_sum: ReduceAttrs;
  reduce_max: ReduceAttrs;
  reshape: ReshapeAttrs;
  transpose: TransposeAttrs;
  broadcast: BroadcastAttrs;
  slice: SliceAttrs;
  pad: PadAttrs;
  concat: ConcatAttrs;
  flip: FlipAttrs;
  matmul: NoAttrs;
  conv2d: Conv2dAttrs;
  conv2d_grad_input: Conv2dGradInputAttrs;
  conv2d_grad_filter: Conv2dGradFilterAttrs;
  max_pool2d: MaxPool2dAttrs;
  max_pool2d_grad: MaxPool2dGradAttrs;
  avg_pool2d: AvgPool2dAttrs;
  avg_pool2d_grad: AvgPool2dGradAttrs;
};

/** The name of a primitive. */
export type PrimitiveName = keyof PrimitiveAttrs;

/**
 * The complete op table. Typed as a mapped type over the primitive names, so a primitive
 * without a rule is a type error.
 */
export const primitives: OpTableOf<PrimitiveAttrs> = {
  input,
  constant,
  neg,
  abs,
  sign,
  exp,
  log,
  sqrt,
  recip,
  sin,
  cos,
  tanh,
  sigmoid,
  softplus,
  floor,
  add,
  sub,
  mul,
  div,
  maximum,
  minimum,
  pow,
  mod,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  bitwise_and: bitwiseAnd,
  bitwise_or: bitwiseOr,
  bitwise_xor: bitwiseXor,
  bitwise_not: bitwiseNot,
  shift_left: shiftLeft,
  shift_right_logical: shiftRightLogical,
  select,
  threefry,
  cast,
  iota,
  reduce_sum: reduceSum,
  reduce_max: reduceMax,
  reshape,
  transpose,
  broadcast,
  slice,
  pad,
  concat,
  flip,
  matmul,
  conv2d,
  conv2d_grad_input: conv2dGradInput,
  conv2d_grad_filter: conv2dGradFilter,
  max_pool2d: maxPool2d,
  max_pool2d_grad: maxPool2dGrad,
  avg_pool2d: avgPool2d,
  avg_pool2d_grad: avgPool2dGrad,
};
