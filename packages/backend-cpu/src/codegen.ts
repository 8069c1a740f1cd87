import type { AluOp, DType, Expr } from "@loom/graph";
import { LoomError } from "@loom/graph";

type Render = (a: readonly string[], dtype: DType, from: DType) => string;

const int = (d: DType) => d === "int32";

/**
 * How each ALU op renders to JavaScript: one table, as tinygrad's renderers. Values are JS
 * numbers; integer results wrap to 32 bits and bools are 0/1, exactly as `ALU_JS` computes.
 */
export const RENDER_JS: Readonly<Record<AluOp, Render>> = {
  neg: ([a], d) => (int(d) ? `(-${a} | 0)` : `(-${a})`),
  abs: ([a], d) => (int(d) ? `(Math.abs(${a}) | 0)` : `Math.abs(${a})`),
  sign: ([a]) => `Math.sign(${a})`,
  exp: ([a]) => `Math.exp(${a})`,
  log: ([a]) => `Math.log(${a})`,
  sqrt: ([a]) => `Math.sqrt(${a})`,
  recip: ([a]) => `(1 / ${a})`,
  sin: ([a]) => `Math.sin(${a})`,
  cos: ([a]) => `Math.cos(${a})`,
  tanh: ([a]) => `Math.tanh(${a})`,
  floor: ([a]) => `Math.floor(${a})`,
  not: ([a], d) => (d === "bool" ? `(${a} ? 0 : 1)` : `(~${a})`),
  add: ([a, b], d) => (int(d) ? `((${a} + ${b}) | 0)` : `(${a} + ${b})`),
  sub: ([a, b], d) => (int(d) ? `((${a} - ${b}) | 0)` : `(${a} - ${b})`),
  mul: ([a, b], d) => (int(d) ? `Math.imul(${a}, ${b})` : `(${a} * ${b})`),
  div: ([a, b], d) => (int(d) ? `((${a} / ${b}) | 0)` : `(${a} / ${b})`),
  max: ([a, b]) => `Math.max(${a}, ${b})`,
  min: ([a, b]) => `Math.min(${a}, ${b})`,
  pow: ([a, b]) => `Math.pow(${a}, ${b})`,
  mod: ([a, b], d) => (int(d) ? `((${a} % ${b}) | 0)` : `(${a} % ${b})`),
  eq: ([a, b]) => `(${a} === ${b} ? 1 : 0)`,
  ne: ([a, b]) => `(${a} !== ${b} ? 1 : 0)`,
  lt: ([a, b]) => `(${a} < ${b} ? 1 : 0)`,
  le: ([a, b]) => `(${a} <= ${b} ? 1 : 0)`,
  gt: ([a, b]) => `(${a} > ${b} ? 1 : 0)`,
  ge: ([a, b]) => `(${a} >= ${b} ? 1 : 0)`,
  and: ([a, b]) => `(${a} & ${b})`,
  or: ([a, b]) => `(${a} | ${b})`,
  xor: ([a, b]) => `(${a} ^ ${b})`,
  shl: ([a, b]) => `(${a} << ${b})`,
  shr: ([a, b]) => `((${a} >>> ${b}) | 0)`,
  where: ([c, a, b]) => `(${c} ? ${a} : ${b})`,
  cast: ([a], to) =>
    to === "int32"
      ? `(${a} | 0)`
      : to === "bool"
        ? `(${a} !== 0 && ${a} === ${a} ? 1 : 0)`
        : to === "float32"
          ? `Math.fround(${a})`
          : a!,
  threefry: ([k0, k1, c0, c1]) => `tf(${k0}, ${k1}, ${c0}, ${c1})`,
};

/**
 * A number as JS source. Negative values are parenthesised (`-x` of the literal `-2` must not
 * render as `--2`), and anything but a number is refused: constants come from user data, and
 * generated code must never contain a user-supplied string.
 */
/** Ops whose float32 result is not already a float32 value when computed in double. */
const ROUNDED: ReadonlySet<AluOp> = new Set<AluOp>([
  "exp",
  "log",
  "sqrt",
  "recip",
  "sin",
  "cos",
  "tanh",
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "mod",
]);

const literal = (v: number): string => {
  if (typeof v !== "number")
    throw new LoomError("invalid_attr", "codegen", `constant ${JSON.stringify(v)} is not a number`);
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "(-Infinity)";
  if (Object.is(v, -0)) return "(-0)";
  return v < 0 ? `(${String(v)})` : String(v);
};

/** An integer from the plan (axis, loop variable, buffer slot, extent) as JS source. */
const integer = (v: number): string => {
  if (!Number.isSafeInteger(v))
    throw new LoomError("invalid_attr", "codegen", `${JSON.stringify(v)} is not an integer`);
  return String(v);
};

/**
 * Renders a kernel `out[i] = expr(i)` over `shape` as the body of a JS function of
 * `(b, tf)`: `b[0]` is the output, `b[k + 1]` input k, `tf` the Threefry helper. One loop per
 * output axis, a running output offset, reductions as inner loops, and repeated
 * subexpressions computed once. The source holds only numbers and generated names.
 */
export const renderKernel = (expr: Expr, shape: readonly number[], inputs: number): string => {
  const counts = new Map<string, number>();
  const count = (e: Expr) => {
    const k = JSON.stringify(e);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    if ((counts.get(k) ?? 0) > 1) return;
    if (e.kind === "load") count(e.at);
    else if (e.kind === "alu") e.args.forEach(count);
    else if (e.kind === "reduce") count(e.body);
  };
  count(expr);
  let temps = 0;
  const emit = (e: Expr, stmts: string[], names: Map<string, string>): string => {
    switch (e.kind) {
      case "const":
        return literal(
          e.dtype === "float32" && typeof e.value === "number" ? Math.fround(e.value) : e.value,
        );
      case "index":
        return `x${integer(e.axis)}`;
      case "var":
        return `v${integer(e.id)}`;
    }
    const key = JSON.stringify(e);
    const known = names.get(key);
    if (known !== undefined) return known;
    let code: string;
    if (e.kind === "load") code = `i${integer(e.input)}[${emit(e.at, stmts, names)}]`;
    else if (e.kind === "alu") {
      const args = e.args.map((a) => emit(a, stmts, names));
      code = RENDER_JS[e.op](args, e.dtype, e.args[0]?.dtype ?? e.dtype);
      // float32 arithmetic rounds after every op, as the unfused reference (one store per op)
      // and a GPU do: fused and unfused plans then agree bit for bit.
      if (e.dtype === "float32" && ROUNDED.has(e.op)) code = `Math.fround(${code})`;
    } else {
      const acc = `a${temps++}`;
      const inner: string[] = [];
      const innerNames = new Map(names);
      const body = emit(e.body, inner, innerNames);
      const update =
        e.op === "sum"
          ? `${acc} += ${body};`
          : `{ const r = ${body}; if (r > ${acc} || r !== r) ${acc} = r; }`;
      let loop = [...inner, update].join(" ");
      for (let j = e.vars.length - 1; j >= 0; j--) {
        const { id, extent } = e.vars[j]!;
        const [v, n] = [integer(id), integer(extent)];
        loop = `for (let v${v} = 0; v${v} < ${n}; v${v}++) { ${loop} }`;
      }
      stmts.push(`let ${acc} = ${e.op === "sum" ? "0" : "-Infinity"};`, loop);
      names.set(key, acc);
      return acc;
    }
    if ((counts.get(key) ?? 0) > 1) {
      const t = `t${temps++}`;
      stmts.push(`const ${t} = ${code};`);
      names.set(key, t);
      return t;
    }
    return code;
  };
  const stmts: string[] = [];
  const value = emit(expr, stmts, new Map());
  const header = [
    "const o = b[0];",
    ...Array.from({ length: inputs }, (_, k) => `const i${k} = b[${k + 1}];`),
    "let p = 0;",
  ];
  let body = `${stmts.join(" ")} o[p++] = ${value};`;
  for (let a = shape.length - 1; a >= 0; a--)
    body = `for (let x${a} = 0; x${a} < ${integer(shape[a]!)}; x${a}++) { ${body} }`;
  return `${header.join(" ")} ${body}`;
};
