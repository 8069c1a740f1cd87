// Its own module, free of the GEMM cores' imports, so that the declaration build of the wasm
// tasks (which use the codec) does not reach gemm.ts's anonymous classes.

/** A task's parameters as a record of int32 numbers and flags. */
export type TaskParams = Readonly<Record<string, number | boolean>>;

/** Writes a parameter record into the int32 transport and reads it back, in the order of its names. */
export interface ParamCodec<R extends TaskParams> {
  readonly size: number;
  encode(p: Int32Array, r: R): void;
  decode(p: Int32Array): R;
}

/**
 * The codec of a record with fields `names` (in transport order), of which `flags` are
 * booleans. Self-contained (refers to nothing outside its body), so workers build the same
 * codec from its source text.
 */
export const paramCodec = <R extends TaskParams>(
  names: readonly (keyof R & string)[],
  flags: readonly (keyof R & string)[],
): ParamCodec<R> => ({
  size: names.length,
  encode: (p, r) => {
    for (let i = 0; i < names.length; i++) {
      const v = r[names[i]];
      p[i] = typeof v === "boolean" ? (v ? 1 : 0) : v;
    }
  },
  decode: (p) => {
    const r: Record<string, number | boolean> = {};
    for (let i = 0; i < names.length; i++)
      r[names[i]] = flags.includes(names[i]) ? p[i] !== 0 : p[i];
    return r as R;
  },
});
