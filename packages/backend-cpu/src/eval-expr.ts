import type { Expr, TypedArray } from "@loom/graph";
import { ALU_JS, LoomError } from "@loom/graph";

/** The mutable state a compiled expression reads: the output multi-index, loop variables, input buffers. */
export interface EvalEnv {
  readonly idx: Int32Array;
  readonly vars: Int32Array;
  bufs: readonly TypedArray[];
}

type Fn = (env: EvalEnv) => number;
/**
 * Compiles a kernel-IR expression to a tree of closures: the reference evaluator, and the
 * CPU backend's fallback where `new Function` is forbidden by a Content-Security-Policy.
 */
export const compileExpr = (e: Expr): Fn => {
  switch (e.kind) {
    case "const": {
      const v = e.dtype === "float32" ? Math.fround(e.value) : e.value;
      return () => v;
    }
    case "index": {
      const a = e.axis;
      return (env) => env.idx[a]!;
    }
    case "var": {
      const id = e.id;
      return (env) => env.vars[id]!;
    }
    case "load": {
      const at = compileExpr(e.at);
      const k = e.input;
      return (env) => env.bufs[k]![at(env)]!;
    }
    case "alu": {
      const impl = ALU_JS[e.op];
      const args = e.args.map(compileExpr);
      const d = e.dtype;
      const from = e.args[0]?.dtype ?? d;
      if (d === "float32") {
        // Round after every float32 op, as the generated code does.
        return (env) =>
          Math.fround(
            impl(
              args.map((f) => f(env)),
              d,
              from,
            ),
          );
      }
      if (args.length === 1) {
        const [a] = args as [Fn];
        return (env) => impl([a(env)], d, from);
      }
      return (env) =>
        impl(
          args.map((f) => f(env)),
          d,
          from,
        );
    }
    case "reduce": {
      const body = compileExpr(e.body);
      const vars = e.vars;
      const isMax = e.op === "max";
      if (vars.some((v) => v.id >= 8))
        throw new LoomError("unsupported", "reduce", "more than 8 loop variables");
      const loop = (env: EvalEnv, depth: number, acc: number): number => {
        if (depth === vars.length) {
          const v = body(env);
          return isMax ? (v > acc || Number.isNaN(v) ? v : acc) : acc + v;
        }
        const { id, extent } = vars[depth]!;
        for (let i = 0; i < extent; i++) {
          env.vars[id] = i;
          acc = loop(env, depth + 1, acc);
        }
        return acc;
      };
      return (env) => loop(env, 0, isMax ? -Infinity : 0);
    }
  }
};
