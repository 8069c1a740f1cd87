import * as E from "fp-ts/lib/Either.js";
import type { Graph } from "../graph";
import type { OpTable } from "../op-def";
import { cse } from "./cse";
import { dce } from "./dce";
import { foldConstants } from "./fold";
import { algebraicIdentities } from "./identities";
import type { Pass } from "./pass";

/** The names of simplify's sub-passes, for switching them off. */
export type SimplifyStep = "fold-constants" | "algebraic-identities" | "cse" | "dce";

/** Options of `simplify`. */
export interface SimplifyOptions {
  /** Sub-passes to skip. */
  readonly disable?: readonly SimplifyStep[];
  /** At most this many rounds of the sub-passes (each rewrite can expose another). */
  readonly maxRounds?: number;
}

/** True when two graphs have the same input and output nodes, by identity: a round changed nothing. */
const unchanged = (a: Graph, b: Graph): boolean => {
  const same = (x: Graph["outputs"], y: Graph["outputs"]) =>
    Object.keys(x).length === Object.keys(y).length &&
    Object.entries(x).every(([k, n]) => y[k] === n);
  return same(a.inputs, b.inputs) && same(a.outputs, b.outputs);
};

/**
 * Simplification: constant folding, algebraic identities, CSE and DCE, in rounds until a
 * round changes nothing. Generic over the op table; graph inputs and output names are kept.
 * Each sub-pass preserves node identity where nothing changes, so the fixpoint test is cheap.
 */
export const simplify = (table: OpTable, opts: SimplifyOptions = {}): Pass => {
  const steps: Pass[] = [foldConstants(table), algebraicIdentities(table), cse(), dce()].filter(
    (p) => !opts.disable?.includes(p.name as SimplifyStep),
  );
  const maxRounds = opts.maxRounds ?? 8;
  return {
    name: "simplify",
    run: (g) => {
      let cur = g;
      for (let round = 0; round < maxRounds; round++) {
        const before = cur;
        for (const p of steps) {
          const r = p.run(cur);
          if (E.isLeft(r)) return r;
          cur = r.right;
        }
        if (unchanged(before, cur)) break;
      }
      return E.right(cur);
    },
  };
};
