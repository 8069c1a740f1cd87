import type { ElementwiseDef } from "@loom/graph";
import { alu } from "@loom/graph";
import type { NoAttrs } from "./rules";
import { bitwiseInfer, noGrad } from "./rules";

/** `bitwise_xor(a, b)`: bitwise on int32, logical on bool. */
export const bitwiseXor: ElementwiseDef<NoAttrs> = {
  name: "bitwise_xor",
  fusion: "elementwise",
  infer: bitwiseInfer("bitwise_xor", 2),
  scalar: ([a, b]) => alu("xor", [a!, b!]),
  vjp: noGrad,
};
