import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { LoomError, orThrow } from "@loom/graph";

/**
 * Every key of an options type `T`, each mapped to `true`: written as an object literal, the
 * type checker refuses a missing key and (by the excess-property check) an extra one, so the
 * runtime list of valid keys cannot drift from the type.
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]-?: true };

/** The first own key of `opts` that `keys` does not list, as a LoomError naming the valid ones. */
export const unknownOption = <T>(
  op: string,
  opts: unknown,
  keys: OptionKeys<T>,
): E.Either<LoomError, T | undefined> => {
  if (opts === undefined) return E.right(undefined);
  if (typeof opts !== "object" || opts === null || Array.isArray(opts)) {
    return E.left(
      new LoomError(
        "invalid_argument",
        op,
        `options must be an object, got ${Array.isArray(opts) ? "an array" : typeof opts}`,
      ),
    );
  }
  const valid = Object.keys(keys);
  const extra = Object.keys(opts).find((k) => !Object.hasOwn(keys, k));
  return pipe(
    extra,
    E.fromPredicate(
      (k): k is undefined => k === undefined,
      (k) =>
        new LoomError(
          "invalid_option",
          op,
          `unknown option "${String(k)}"; valid options are ${valid.map((v) => `"${v}"`).join(", ") || "none"}`,
        ),
    ),
    E.map(() => opts as T),
  );
};

/**
 * Throws a LoomError (code `invalid_option`) if `opts` has a key that `keys` does not list:
 * a misspelt or unsupported option (`{ ceilmode: true }`) must not be ignored silently.
 * Returns `opts` so that it reads as a pass-through at the public edge.
 */
export const checkOptions = <T>(op: string, opts: T, keys: OptionKeys<NonNullable<T>>): T => {
  orThrow(unknownOption(op, opts, keys));
  return opts;
};
