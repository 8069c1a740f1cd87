import type { ElementwiseDef } from "@loom/graph";
import { isAddIdentity } from "@loom/graph";
import type { NoAttrs } from "./rules";
import { binaryDef } from "./rules";

/** `add(a, b)`: elementwise sum of equal-shaped inputs. d/da = d/db = 1. */
export const add: ElementwiseDef<NoAttrs> = {
  ...binaryDef("add", "add", "numeric", ({ ct }) => [ct, ct]),
  // x+0 and 0+x only for the zero that is an identity of the dtype (-0 for floats).
  simplify: ({ node, keep }) => {
    const [a, b] = node.inputs;
    return isAddIdentity(b, node) ? keep(a) : isAddIdentity(a, node) ? keep(b) : undefined;
  },
};
