import type { ElementwiseDef } from "@loom/graph";
import { alu } from "@loom/graph";
import type { NoAttrs } from "./rules";
import { bitwiseInfer, noGrad } from "./rules";

/** `bitwise_or(a, b)`: bitwise on int32, logical on bool. */
export const bitwiseOr: ElementwiseDef<NoAttrs> = {
  name: "bitwise_or",
  fusion: "elementwise",
  infer: bitwiseInfer("bitwise_or", 2),
  scalar: ([a, b]) => alu("or", [a!, b!]),
  vjp: noGrad,
};
