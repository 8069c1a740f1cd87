import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { LoomError } from "../error";
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
      const round = (before: Graph) =>
        steps.reduce((acc, p) => E.chain(p.run)(acc), E.right<LoomError, Graph>(before));
      type State = { readonly g: Graph; readonly done: boolean };
      const next = (s: State): E.Either<LoomError, State> =>
        s.done
          ? E.right(s)
          : pipe(
              round(s.g),
              E.map((after) => ({ g: after, done: unchanged(s.g, after) })),
            );
      // Rounds until one changes nothing, at most maxRounds; the first Left ends them.
      let state = E.right<LoomError, State>({ g, done: false });
      for (let i = 0; i < maxRounds; i++) state = E.chain(next)(state);
      return E.map((s: State) => s.g)(state);
    },
  };
};
