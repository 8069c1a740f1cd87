import type { AluOp, Dialect, DType, Expr, RenderAlu } from "@loom/graph";
import { LoomError, walkExpr } from "@loom/graph";

const int = (d: DType) => d === "int32";

/**
 * How each ALU op renders to JavaScript: one table, as tinygrad's renderers. Values are JS
 * numbers; integer results wrap to 32 bits and bools are 0/1, exactly as `ALU_JS` computes.
 */
export const RENDER_JS: Readonly<Record<AluOp, RenderAlu>> = {
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

/**
 * A number as JS source. Negative values are parenthesised (`-x` of the literal `-2` must not
 * render as `--2`), and anything but a number is refused: constants come from user data, and
 * generated code must never contain a user-supplied string.
 */
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
 * The JS dialect of the expression walker: `xa` output axes, `vid` loop variables, `ik[at]`
 * loads, `const` temporaries, and float32 results of inexact ops rounded with `Math.fround`,
 * as the unfused reference (one store per op) and a GPU do, so fused and unfused plans agree
 * bit for bit.
 */
const JS_DIALECT: Dialect = {
  alu: RENDER_JS,
  after: (code, op, dtype) =>
    dtype === "float32" && ROUNDED.has(op) ? `Math.fround(${code})` : code,
  constant: (value, dtype) =>
    literal(dtype === "float32" && typeof value === "number" ? Math.fround(value) : value),
  index: (axis) => `x${integer(axis)}`,
  variable: (id) => `v${integer(id)}`,
  load: (input, at) => `i${integer(input)}[${at}]`,
  temp: (name, code) => `const ${name} = ${code};`,
  reduce: {
    init: (acc, e) => `let ${acc} = ${e.op === "sum" ? "0" : "-Infinity"};`,
    update: (acc, value, e) =>
      e.op === "sum"
        ? `${acc} += ${value};`
        : `{ const r = ${value}; if (r > ${acc} || r !== r) ${acc} = r; }`,
    loop: (v, extent, body) => `for (let ${v} = 0; ${v} < ${integer(extent)}; ${v}++) { ${body} }`,
  },
};

/**
 * Renders a kernel `out[i] = expr(i)` over `shape` as the body of a JS function of
 * `(b, tf)`: `b[0]` is the output, `b[k + 1]` input k, `tf` the Threefry helper. One loop per
 * output axis around the walked expression (`walkExpr`), with a running output offset. The
 * source holds only numbers and generated names.
 */
export const renderKernel = (expr: Expr, shape: readonly number[], inputs: number): string => {
  const { stmts, value } = walkExpr(expr, JS_DIALECT);
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
