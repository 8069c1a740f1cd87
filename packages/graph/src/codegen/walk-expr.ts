import type { DType } from "../dtype";
import type { AluOp, Expr } from "../expr";
import { exprKey } from "../expr";

/** Renders one ALU op from its rendered arguments, the result dtype and the first argument's dtype. */
export type RenderAlu = (args: readonly string[], dtype: DType, from: DType) => string;

/** A `reduce` node of the kernel IR. */
export type ReduceExpr = Extract<Expr, { kind: "reduce" }>;

/** How a dialect writes a reduction: an accumulator, an update per element, and its loops. */
export interface ReduceDialect {
  /**
   * The reduction's value when the dialect knows it without a loop, or `undefined`. WebGL
   * needs it for an empty int max, whose `-Infinity` the CPU stores into an Int32Array as 0.
   */
  readonly known?: (e: ReduceExpr) => string | undefined;
  /** The statement declaring accumulator `acc` with the identity of `e.op` (may refuse a dtype by throwing). */
  readonly init: (acc: string, e: ReduceExpr) => string;
  /** The statement folding one element `value` into `acc`; `fresh` names a scratch variable. */
  readonly update: (
    acc: string,
    value: string,
    e: ReduceExpr,
    fresh: (prefix: string) => string,
  ) => string;
  /** The statement running `body` for `variable` from 0 to `extent - 1`. */
  readonly loop: (variable: string, extent: number, body: string) => string;
}

/**
 * Everything a backend supplies to render the kernel IR in its language: the ALU table, how
 * constants, loads, output indices and loop variables read, how a temporary is declared, and
 * the reduction syntax. JS, GLSL and (next) WebAssembly text are each one such value; the
 * walker owns the rest (sharing, scoping, order). Names it hands to the dialect are
 * `t<n>` (temporaries), `a<n>` (accumulators) and `fresh(prefix)<n>` (scratch), from one
 * counter per expression. A dialect that must declare every local up front (WebAssembly) takes
 * them, with their dtypes, from `RenderedExpr.locals`.
 */
export interface Dialect {
  /** How each ALU op renders: the backend's one `Record<AluOp, render>` table. */
  readonly alu: Readonly<Record<AluOp, RenderAlu>>;
  /** Rewrites an ALU op's rendered code (the CPU rounds float32 results with `Math.fround`); none when absent. */
  readonly after?: (code: string, op: AluOp, dtype: DType) => string;
  /** A constant of a dtype (refusing anything but a number: generated code holds no user strings). */
  readonly constant: (value: number, dtype: DType) => string;
  /** Component `axis` of the output multi-index. */
  readonly index: (axis: number) => string;
  /** Reduction loop variable `id`. */
  readonly variable: (id: number) => string;
  /** A read of input buffer `input` at the rendered flat offset `at`. */
  readonly load: (input: number, at: string) => string;
  /** The statement declaring temporary `name`, of `dtype`, as `code`. */
  readonly temp: (name: string, code: string, dtype: DType) => string;
  /** How reductions are written. */
  readonly reduce: ReduceDialect;
}

/** A variable the rendered statements declare, for dialects that declare locals up front. */
export interface Local {
  readonly name: string;
  readonly dtype: DType;
}

/** An expression rendered by a dialect: statements to run first (temporaries, reduction loops), then the value. */
export interface RenderedExpr {
  readonly stmts: readonly string[];
  readonly value: string;
  /**
   * Every variable the statements declare, with its dtype, in order of creation: temporaries,
   * accumulators, scratch and reduction loop variables (int32); a known reduction's
   * accumulator goes unused. Output indices are the kernel skeleton's to declare.
   */
  readonly locals: readonly Local[];
}

const keyOf = exprKey;

/** How often each distinct subexpression occurs, counting the inside of a repeated one once. */
const occurrences = (expr: Expr): ReadonlyMap<string, number> => {
  const counts = new Map<string, number>();
  const count = (e: Expr): void => {
    const k = keyOf(e);
    const c = (counts.get(k) ?? 0) + 1;
    counts.set(k, c);
    if (c > 1) return;
    if (e.kind === "load") count(e.at);
    else if (e.kind === "alu") e.args.forEach(count);
    else if (e.kind === "reduce") count(e.body);
  };
  count(expr);
  return counts;
};

/**
 * Renders a kernel's `Expr` in a dialect: one walk for every backend. A subexpression that
 * occurs more than once is computed once into a temporary, declared in the loop body where it
 * is first met (a reduction's body sees the names outside it; names made inside stay inside),
 * and a reduction becomes an accumulator, nested loops (first variable outermost) and an
 * update, in statements placed before the value that uses it. The output of the walk holds
 * only what the dialect renders and generated names.
 */
export const walkExpr = (expr: Expr, dialect: Dialect): RenderedExpr => {
  const counts = occurrences(expr);
  const locals: Local[] = [];
  let counter = 0;
  const fresh = (prefix: string, dtype: DType): string => {
    const name = `${prefix}${counter++}`;
    locals.push({ name, dtype });
    return name;
  };
  const emit = (e: Expr, stmts: string[], names: Map<string, string>): string => {
    switch (e.kind) {
      case "const":
        return dialect.constant(e.value, e.dtype);
      case "index":
        return dialect.index(e.axis);
      case "var":
        return dialect.variable(e.id);
    }
    const k = keyOf(e);
    const known = names.get(k);
    if (known !== undefined) return known;
    if (e.kind === "reduce") {
      const acc = reduction(e, stmts, names);
      names.set(k, acc);
      return acc;
    }
    const code =
      e.kind === "load"
        ? dialect.load(e.input, emit(e.at, stmts, names))
        : aluCode(e, stmts, names);
    if ((counts.get(k) ?? 0) <= 1) return code;
    const t = fresh("t", e.dtype);
    stmts.push(dialect.temp(t, code, e.dtype));
    names.set(k, t);
    return t;
  };
  const aluCode = (
    e: Extract<Expr, { kind: "alu" }>,
    stmts: string[],
    names: Map<string, string>,
  ): string => {
    const args = e.args.map((a) => emit(a, stmts, names));
    const code = dialect.alu[e.op](args, e.dtype, e.args[0]?.dtype ?? e.dtype);
    return dialect.after === undefined ? code : dialect.after(code, e.op, e.dtype);
  };
  const reduction = (e: ReduceExpr, stmts: string[], names: Map<string, string>): string => {
    const { reduce } = dialect;
    const acc = fresh("a", e.dtype);
    const init = reduce.init(acc, e);
    const known = reduce.known?.(e);
    if (known !== undefined) return known;
    const inner: string[] = [];
    const body = emit(e.body, inner, new Map(names));
    const update = reduce.update(acc, body, e, (prefix) => fresh(prefix, e.dtype));
    for (const { id } of e.vars) {
      const name = dialect.variable(id);
      if (!locals.some((l) => l.name === name)) locals.push({ name, dtype: "int32" });
    }
    const loop = e.vars.reduceRight(
      (inside, { id, extent }) => reduce.loop(dialect.variable(id), extent, inside),
      [...inner, update].join(" "),
    );
    stmts.push(init, loop);
    return acc;
  };
  const stmts: string[] = [];
  const value = emit(expr, stmts, new Map());
  return { stmts, value, locals };
};
