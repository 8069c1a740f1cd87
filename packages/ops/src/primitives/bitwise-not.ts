import type { ElementwiseDef } from "@loom/graph";
import { alu } from "@loom/graph";
import type { NoAttrs } from "./rules";
import { bitwiseInfer, noGrad } from "./rules";

/** `bitwise_not(x)`: `~x` on int32, logical not on bool. */
export const bitwiseNot: ElementwiseDef<NoAttrs> = {
  name: "bitwise_not",
  fusion: "elementwise",
  infer: bitwiseInfer("bitwise_not", 1),
  scalar: ([x]) => alu("not", [x!]),
  vjp: noGrad,
};
