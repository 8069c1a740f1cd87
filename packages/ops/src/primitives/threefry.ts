import type { ElementwiseDef } from "@loom/graph";
import { alu } from "@loom/graph";
import type { NoAttrs } from "./rules";
import { elementwiseInfer, noGrad } from "./rules";

/**
 * `threefry(k0, k1, c0, c1)`: the first word of Threefry-2x32-20 of counter (c0, c1) under key
 * (k0, k1), as int32 bits: counter-based random bits, identical on every backend. No gradient.
 */
export const threefry: ElementwiseDef<NoAttrs> = {
  name: "threefry",
  fusion: "elementwise",
  infer: elementwiseInfer("threefry", 4, "int"),
  scalar: (args) => alu("threefry", args, "int32"),
  vjp: noGrad,
};
