import type { AluOp, DType, RenderAlu } from "@loom/graph";
import { LoomError } from "@loom/graph";

const isInt = (d: DType) => d === "int32";
const isBool = (d: DType) => d === "bool";

/** The GLSL type that holds a value of a dtype inside a shader. */
export const glslType = (d: DType): "float" | "int" | "bool" => {
  switch (d) {
    case "float32":
      return "float";
    case "int32":
      return "int";
    case "bool":
      return "bool";
    case "float64":
      throw new LoomError(
        "unsupported",
        "webgl",
        "float64 has no GPU representation in WebGL2; use the CPU backend (cpuBackend()) for float64",
      );
  }
};

const cast = (a: string, to: DType, from: DType): string => {
  if (to === from) return a;
  if (to === "float32") return isBool(from) ? `(${a} ? 1.0 : 0.0)` : `float(${a})`;
  if (to === "int32") return isBool(from) ? `(${a} ? 1 : 0)` : `l_f2i(${a})`;
  if (to === "bool") return isInt(from) ? `(${a} != 0)` : `l_f2b(${a})`;
  return glslType(to);
};

/**
 * How each ALU op renders to GLSL ES 3.00: the WebGL twin of the CPU's `RENDER_JS`, computing
 * what `ALU_JS` computes. float32 is GLSL `float`, int32 `int` (highp ints wrap on overflow,
 * as `| 0`), bool `bool`. Where GLSL leaves a case undefined (log of a negative, integer
 * division of negatives, shifts by 32 or more, NaN in max) an `l_*` helper pins it down.
 */
export const RENDER_GLSL: Readonly<Record<AluOp, RenderAlu>> = {
  neg: ([a]) => `(-${a})`,
  abs: ([a], d) => (isInt(d) ? `l_iabs(${a})` : `abs(${a})`),
  sign: ([a], d) => (isInt(d) ? `sign(${a})` : `l_sign(${a})`),
  exp: ([a]) => `l_exp(${a})`,
  log: ([a]) => `l_log(${a})`,
  sqrt: ([a]) => `l_sqrt(${a})`,
  recip: ([a]) => `(1.0 / ${a})`,
  sin: ([a]) => `l_sin(${a})`,
  cos: ([a]) => `l_cos(${a})`,
  tanh: ([a]) => `l_tanh(${a})`,
  floor: ([a]) => `floor(${a})`,
  not: ([a], d) => (isBool(d) ? `(!${a})` : `(~${a})`),
  add: ([a, b]) => `(${a} + ${b})`,
  sub: ([a, b]) => `(${a} - ${b})`,
  mul: ([a, b]) => `(${a} * ${b})`,
  div: ([a, b], d) => (isInt(d) ? `l_idiv(${a}, ${b})` : `(${a} / ${b})`),
  max: ([a, b], d) =>
    isBool(d) ? `(${a} || ${b})` : isInt(d) ? `max(${a}, ${b})` : `l_max(${a}, ${b})`,
  min: ([a, b], d) =>
    isBool(d) ? `(${a} && ${b})` : isInt(d) ? `min(${a}, ${b})` : `l_min(${a}, ${b})`,
  pow: ([a, b]) => `l_pow(${a}, ${b})`,
  mod: ([a, b], d) => (isInt(d) ? `l_imod(${a}, ${b})` : `l_fmod(${a}, ${b})`),
  eq: ([a, b]) => `(${a} == ${b})`,
  // Negated equality is true for NaN, as JS `!==`, whatever a driver does with `!=`.
  ne: ([a, b]) => `(!(${a} == ${b}))`,
  lt: ([a, b]) => `(${a} < ${b})`,
  le: ([a, b]) => `(${a} <= ${b})`,
  gt: ([a, b]) => `(${a} > ${b})`,
  ge: ([a, b]) => `(${a} >= ${b})`,
  and: ([a, b], d) => (isBool(d) ? `(${a} && ${b})` : `(${a} & ${b})`),
  or: ([a, b], d) => (isBool(d) ? `(${a} || ${b})` : `(${a} | ${b})`),
  xor: ([a, b], d) => (isBool(d) ? `(${a} ^^ ${b})` : `(${a} ^ ${b})`),
  shl: ([a, b]) => `l_shl(${a}, ${b})`,
  shr: ([a, b]) => `l_shr(${a}, ${b})`,
  where: ([c, a, b]) => `(${c} ? ${a} : ${b})`,
  cast: ([a], to, from) => cast(a!, to, from),
  threefry: ([k0, k1, c0, c1]) => `l_threefry(${k0}, ${k1}, ${c0}, ${c1})`,
};

const INT_MIN = -2147483648;

/**
 * An integer from the plan (a shape, an index constant, an attribute) as GLSL source. Anything
 * but a 32-bit integer is refused: generated code holds only numbers, never user strings, and
 * WebGL's indices are 32-bit.
 */
export const glslInt = (v: number): string => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < INT_MIN || v > 2147483647)
    throw new LoomError(
      "unsupported",
      "webgl",
      `${JSON.stringify(v)} is not a 32-bit integer; WebGL kernels index with int32, so tensors must have fewer than 2^31 elements`,
    );
  if (v === INT_MIN) return "(-2147483647 - 1)";
  return v < 0 ? `(${v})` : String(v);
};

const hex = (bits: number) => `0x${bits.toString(16).padStart(8, "0")}u`;

/**
 * A float32 constant as GLSL source. Small integers print as literals; every other value
 * (fractions, NaN, infinities, -0) as its exact bit pattern, so no driver's decimal parsing
 * or constant folding can change a bit.
 */
export const glslFloat = (value: number): string => {
  if (typeof value !== "number")
    throw new LoomError(
      "invalid_attr",
      "webgl",
      `constant ${JSON.stringify(value)} is not a number`,
    );
  const v = Math.fround(value);
  if (Number.isInteger(v) && Math.abs(v) <= 16777216 && !Object.is(v, -0))
    return v < 0 ? `(${v}.0)` : `${v}.0`;
  const f = new Float32Array([v]);
  return `uintBitsToFloat(${hex(new Uint32Array(f.buffer)[0]!)})`;
};

/** A constant of any GPU dtype as GLSL source. */
export const glslConst = (value: number, dtype: DType): string => {
  switch (dtype) {
    case "float32":
      return glslFloat(value);
    case "int32":
      return glslInt(value);
    case "bool":
      if (typeof value !== "number")
        throw new LoomError(
          "invalid_attr",
          "webgl",
          `constant ${JSON.stringify(value)} is not a number`,
        );
      return value !== 0 && !Number.isNaN(value) ? "true" : "false";
    case "float64":
      return glslType(dtype);
  }
};
