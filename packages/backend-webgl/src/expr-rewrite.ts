import type { Expr } from "@loom/graph";

/**
 * `e` rebuilt bottom-up where `f` declines (returns undefined) and replaced by `f`'s result
 * where it answers: the one structural map the WebGL generators rewrite expressions with.
 */
export const rewriteExpr = (e: Expr, f: (n: Expr) => Expr | undefined): Expr => {
  const hit = f(e);
  if (hit !== undefined) return hit;
  switch (e.kind) {
    case "load":
      return { ...e, at: rewriteExpr(e.at, f) };
    case "alu":
      return { ...e, args: e.args.map((a) => rewriteExpr(a, f)) };
    case "reduce":
      return { ...e, body: rewriteExpr(e.body, f) };
    default:
      return e;
  }
};
