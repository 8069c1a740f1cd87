import type { Dim } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import type { ConvertNode } from "./context";
import { needStatic, staticValues, unsupported } from "./context";

// PyTorch exports `x.view(x.size(0), -1)` as Shape -> Gather -> Unsqueeze -> Concat -> Reshape,
// which reads a symbolic batch's size as a value. loom has no run-time shape values, so the
// importer runs such shape arithmetic twice at import time, with two different numbers standing
// for each symbolic dim. Where both runs agree, a value is a plain number; where they give the
// two stand-ins of one symbol, it is that symbol. Anything else (N * C, N - 1) depends on a
// symbol in a way a loom shape cannot hold, and is refused by name.

/** The numbers that stand for symbolic dims in one import (two runs of the shape arithmetic). */
export interface StandIns {
  /** The number standing for `symbol` in run 0 or run 1. */
  readonly of: (symbol: string, run: 0 | 1) => number;
  /** The symbol whose stand-ins are `a` (run 0) and `b` (run 1), if any. */
  readonly symbolOf: (a: number, b: number) => string | undefined;
}

// Far from real dims and small enough that shape arithmetic on them stays within int32.
const BASE = [100_003, 200_017] as const;
const STRIDE = 10;

/** Fresh stand-ins for one call of an imported model (no module state: symbols are per call). */
export const standIns = (): StandIns => {
  const symbols = new Map<string, number>();
  const indexOf = (s: string) => {
    if (!symbols.has(s)) symbols.set(s, symbols.size);
    return symbols.get(s)!;
  };
  return {
    of: (s, run) => BASE[run] + STRIDE * indexOf(s),
    symbolOf: (a, b) =>
      [...symbols.entries()].find(
        ([, k]) => a === BASE[0] + STRIDE * k && b === BASE[1] + STRIDE * k,
      )?.[0],
  };
};

/** A shape as numbers, each symbolic dim replaced by its stand-in for this run. */
export const shapeValues = (n: ConvertNode, dims: readonly Dim[]): number[] =>
  dims.map((d) => (typeof d === "number" ? d : n.standIn(d)));

/** True when the shape has a symbolic dim, whose value the importer must stand in for. */
export const hasSymbols = (t: Tensor | undefined): boolean =>
  t !== undefined && t.shape.some((d) => typeof d !== "number");

/**
 * The dims of a shape input (Reshape's, Expand's) that may hold symbolic dims read from an
 * input's Shape: a number where both runs agree, the symbol where they give its stand-ins.
 */
export const needDims = (n: ConvertNode, i: number, what: string): Dim[] => {
  const twin = n.twins[i];
  if (twin === undefined) return [...needStatic(n, i, what)];
  const a = staticValues(n.inputs[i]!);
  const b = staticValues(twin);
  if (a === undefined || b === undefined || a.length !== b.length)
    throw unsupported(n, `its ${what} (input ${i}) must be known when the model is imported`);
  return a.map((v, k) => {
    if (v === b[k]) return v;
    const s = n.symbolOf(v, b[k]!);
    if (s === undefined)
      throw unsupported(
        n,
        `its ${what} (input ${i}) computes dim ${k} from a symbolic dim of an input (such as N * C), which a loom shape cannot hold; import with that dim fixed in the model's input`,
      );
    return s;
  });
};
