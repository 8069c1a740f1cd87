import { InvalidArgumentError } from "commander";

/**
 * A commander argument parser of numbers that `ok` accepts, refusing others with
 * "`name` must be `what`." (commander already names the option, so `name` may be left out).
 * An empty or blank value is refused rather than read as 0, and -0 is read as 0.
 */
const numberParser =
  (ok: (n: number) => boolean, what: string) =>
  (name?: string) =>
  (v: string): number => {
    const n = v.trim() === "" ? NaN : Number(v);
    if (!ok(n))
      throw new InvalidArgumentError(`${name === undefined ? "" : `${name} `}must be ${what}.`);
    return n === 0 ? 0 : n;
  };

/** Parses an integer >= 1 that a double holds exactly. */
export const positiveInt = numberParser(
  (n) => Number.isSafeInteger(n) && n >= 1,
  "a positive integer",
);

/** Parses an integer >= 0 that a double holds exactly. */
export const nonNegativeInt = numberParser(
  (n) => Number.isSafeInteger(n) && n >= 0,
  "a non-negative integer",
);

/** Parses an integer >= 0 that a double holds exactly (a seed). */
export const nonNegativeSafeInt = nonNegativeInt;

/** Parses a finite number > 0. */
export const positiveNumber = numberParser((n) => n > 0 && Number.isFinite(n), "a positive number");

/** Parses a finite number >= 0. */
export const nonNegativeNumber = numberParser(
  (n) => n >= 0 && Number.isFinite(n),
  "a non-negative number",
);
