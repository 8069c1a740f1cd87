/** Element types. float64 exists on the CPU backend only, for gradient checks. */
export type DType = "float32" | "float64" | "int32" | "bool";

/** Every dtype, in promotion order (weakest first). */
export const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];

/** Short names used by the printers: `f32[N,10]`. */
export const DTYPE_SHORT: Readonly<Record<DType, string>> = {
  float32: "f32",
  float64: "f64",
  int32: "i32",
  bool: "bool",
};

/** Bytes per element as stored by the CPU backend (bool is one byte). */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  int32: 4,
  bool: 1,
};

/** True for dtypes that carry gradients. */
export const isFloat = (d: DType): boolean => d === "float32" || d === "float64";

/** The typed array that holds a dtype on the CPU. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Allocates a zeroed typed array for `n` elements of `d`. */
export const allocTyped = (d: DType, n: number): TypedArray => {
  switch (d) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
    case "bool":
      return new Uint8Array(n);
  }
};
