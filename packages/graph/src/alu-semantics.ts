import type { DType } from "./dtype";
import type { AluOp } from "./expr";
import { threefry2x32 } from "./threefry";

/** How one ALU op computes on numbers: its arguments, the result dtype and the first argument's dtype. */
export type AluImpl = (args: readonly number[], dtype: DType, argType: DType) => number;

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
