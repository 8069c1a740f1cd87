import type { AluOp, DType, Expr, TypedArray } from "@loom/graph";

import { LoomError, threefry2x32 } from "@loom/graph";

/** The mutable state a compiled expression reads: the output multi-index, loop variables, input buffers. */
export interface EvalEnv {
  readonly idx: Int32Array;
  readonly vars: Int32Array;
  bufs: readonly TypedArray[];
}

type Fn = (env: EvalEnv) => number;
type AluImpl = (args: readonly number[], dtype: DType, argType: DType) => number;

const isInt = (d: DType) => d === "int32";

/**
 * How each ALU op computes in JS, on numbers. Integer results wrap to 32 bits, comparisons
 * and bool ops give 0/1, so the values match what a typed-array store or a shader gives.
 */
export const ALU_JS: Readonly<Record<AluOp, AluImpl>> = {
  neg: ([a], d) => (isInt(d) ? -a! | 0 : -a!),
  abs: ([a], d) => (isInt(d) ? Math.abs(a!) | 0 : Math.abs(a!)),
  sign: ([a]) => Math.sign(a!),
  exp: ([a]) => Math.exp(a!),
  log: ([a]) => Math.log(a!),
  sqrt: ([a]) => Math.sqrt(a!),
  recip: ([a]) => 1 / a!,
  sin: ([a]) => Math.sin(a!),
  cos: ([a]) => Math.cos(a!),
  tanh: ([a]) => Math.tanh(a!),
  floor: ([a]) => Math.floor(a!),
  not: ([a], d) => (d === "bool" ? (a ? 0 : 1) : ~a!),
  add: ([a, b], d) => (isInt(d) ? (a! + b!) | 0 : a! + b!),
  sub: ([a, b], d) => (isInt(d) ? (a! - b!) | 0 : a! - b!),
  mul: ([a, b], d) => (isInt(d) ? Math.imul(a!, b!) : a! * b!),
  div: ([a, b], d) => (isInt(d) ? (b === 0 ? 0 : Math.trunc(a! / b!) | 0) : a! / b!),
  max: ([a, b]) => (Number.isNaN(a!) || Number.isNaN(b!) ? NaN : Math.max(a!, b!)),
  min: ([a, b]) => (Number.isNaN(a!) || Number.isNaN(b!) ? NaN : Math.min(a!, b!)),
  pow: ([a, b]) => Math.pow(a!, b!),
  mod: ([a, b], d) => (isInt(d) ? (b === 0 ? 0 : (a! % b!) | 0) : a! % b!),
  eq: ([a, b]) => (a === b ? 1 : 0),
  ne: ([a, b]) => (a !== b ? 1 : 0),
  lt: ([a, b]) => (a! < b! ? 1 : 0),
  le: ([a, b]) => (a! <= b! ? 1 : 0),
  gt: ([a, b]) => (a! > b! ? 1 : 0),
  ge: ([a, b]) => (a! >= b! ? 1 : 0),
  and: ([a, b]) => a! & b!,
  or: ([a, b]) => a! | b!,
  xor: ([a, b]) => a! ^ b!,
  shl: ([a, b]) => a! << b!,
  shr: ([a, b]) => (a! >>> b!) | 0,
  where: ([c, a, b]) => (c ? a! : b!),
  cast: ([a], d, from) => castNumber(a!, from, d),
  threefry: ([k0, k1, c0, c1]) => threefry2x32(k0!, k1!, c0!, c1!),
};

/** Converts a value between dtypes as a typed-array store would, with float-to-int truncating toward zero. */
export const castNumber = (v: number, _from: DType, to: DType): number => {
  switch (to) {
    case "bool":
      return v !== 0 && !Number.isNaN(v) ? 1 : 0;
    case "int32":
      return Number.isFinite(v) ? Math.trunc(v) | 0 : 0;
    case "float32":
      return Math.fround(v);
    case "float64":
      return v;
  }
};

/**
 * Compiles a kernel-IR expression to a tree of closures: the reference evaluator, and the
 * CPU backend's fallback where `new Function` is forbidden by a Content-Security-Policy.
 */
export const compileExpr = (e: Expr): Fn => {
  switch (e.kind) {
    case "const": {
      const v = e.value;
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
