import * as E from "fp-ts/lib/Either.js";
import { makeGraph } from "../graph";
import type { Pass } from "./pass";

/**
 * Dead-code elimination. A graph holds only what is reachable from its outputs, so a rewrite
 * that orphans a node has already removed it; this pass drops outputs listed in `drop` (for
 * example a forward activation no longer wanted) and, with them, every node only they used.
 */
export const dce = (drop: readonly string[] = []): Pass => ({
  name: "dce",
  run: (g) =>
    E.right(
      makeGraph(
        g.inputs,
        Object.fromEntries(Object.entries(g.outputs).filter(([k]) => !drop.includes(k))),
      ),
    ),
});
