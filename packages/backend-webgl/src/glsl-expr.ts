import type { Expr } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { glslConst, glslInt, glslType, RENDER_GLSL } from "./render-glsl";

/** Renders a load of input `k` at a rendered flat int index (the shader's `ldK`, or an epilogue's accumulator). */
export type RenderLoad = (input: number, at: string) => string;

/** An expression rendered to GLSL: statements to run first (temporaries, reduction loops), then the value. */
export interface RenderedExpr {
  readonly stmts: readonly string[];
  readonly value: string;
}

const key = (e: Expr) => JSON.stringify(e);

/**
 * Renders a kernel-IR expression to GLSL statements and a value, as the CPU's `renderKernel`
 * does to JS: output axis `a` is `xa`, loop variable `id` is `vid`, reductions become loops
 * with constant bounds, and a subexpression met more than once is computed once into a
 * temporary (scoped to the loop body it was first met in). Only numbers and generated names
 * reach the source.
 */
export const renderExpr = (expr: Expr, load: RenderLoad): RenderedExpr => {
  const counts = new Map<string, number>();
  const count = (e: Expr) => {
    const k = key(e);
    const c = (counts.get(k) ?? 0) + 1;
    counts.set(k, c);
    if (c > 1) return;
    if (e.kind === "load") count(e.at);
    else if (e.kind === "alu") e.args.forEach(count);
    else if (e.kind === "reduce") count(e.body);
  };
  count(expr);
  let temps = 0;
  const emit = (e: Expr, stmts: string[], names: Map<string, string>): string => {
    switch (e.kind) {
      case "const":
        return glslConst(e.value, e.dtype);
      case "index":
        return `x${glslInt(e.axis)}`;
      case "var":
        return `v${glslInt(e.id)}`;
    }
    const k = key(e);
    const known = names.get(k);
    if (known !== undefined) return known;
    let code: string;
    if (e.kind === "load") code = load(e.input, emit(e.at, stmts, names));
    else if (e.kind === "alu") {
      const args = e.args.map((a) => emit(a, stmts, names));
      code = RENDER_GLSL[e.op](args, e.dtype, e.args[0]?.dtype ?? e.dtype);
    } else {
      const acc = reduction(e, stmts, names);
      names.set(k, acc);
      return acc;
    }
    if ((counts.get(k) ?? 0) > 1) {
      const t = `t${temps++}`;
      stmts.push(`${glslType(e.dtype)} ${t} = ${code};`);
      names.set(k, t);
      return t;
    }
    return code;
  };
  /** A reduction as nested loops accumulating into a fresh variable; returns that variable. */
  const reduction = (
    e: Extract<Expr, { kind: "reduce" }>,
    stmts: string[],
    names: Map<string, string>,
  ): string => {
    const type = glslType(e.dtype);
    if (type === "bool")
      throw new LoomError("unsupported", `reduce_${e.op}`, "cannot reduce bool values");
    const acc = `a${temps++}`;
    const empty = e.vars.some((v) => v.extent === 0);
    // An empty int max stores -Infinity on the CPU, which an Int32Array holds as 0.
    if (empty && type === "int" && e.op === "max") return "0";
    const init =
      e.op === "sum"
        ? type === "int"
          ? "0"
          : "0.0"
        : type === "int"
          ? glslInt(-2147483648)
          : "(-l_inf())";
    const inner: string[] = [];
    const body = emit(e.body, inner, new Map(names));
    const r = `r${temps++}`;
    const update =
      e.op === "sum"
        ? `${acc} += ${body};`
        : type === "int"
          ? `${acc} = max(${acc}, ${body});`
          : `{ float ${r} = ${body}; if (${r} > ${acc} || l_isnan(${r})) ${acc} = ${r}; }`;
    let loop = [...inner, update].join(" ");
    for (let j = e.vars.length - 1; j >= 0; j--) {
      const { id, extent } = e.vars[j]!;
      const [v, n] = [`v${glslInt(id)}`, glslInt(extent)];
      loop = `for (int ${v} = 0; ${v} < ${n}; ${v}++) { ${loop} }`;
    }
    stmts.push(`${type} ${acc} = ${init};`, loop);
    return acc;
  };
  const stmts: string[] = [];
  const value = emit(expr, stmts, new Map());
  return { stmts, value };
};
