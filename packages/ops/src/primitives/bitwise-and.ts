import type { ElementwiseDef } from "@loom/graph";
import { alu } from "@loom/graph";
import type { NoAttrs } from "./rules";
import { bitwiseInfer, noGrad } from "./rules";

/** `bitwise_and(a, b)`: bitwise on int32, logical on bool. */
export const bitwiseAnd: ElementwiseDef<NoAttrs> = {
  name: "bitwise_and",
  fusion: "elementwise",
  infer: bitwiseInfer("bitwise_and", 2),
  scalar: ([a, b]) => alu("and", [a!, b!]),
  vjp: noGrad,
};
