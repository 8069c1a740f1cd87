import { InvalidArgumentError } from "commander";

/**
 * A commander argument parser of numbers that `ok` accepts, refusing others with
 * "`name` must be `what`." (commander already names the option, so `name` may be left out).
 */
const numberParser =
  (ok: (n: number) => boolean, what: string) =>
  (name?: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!ok(n))
      throw new InvalidArgumentError(`${name === undefined ? "" : `${name} `}must be ${what}.`);
    return n;
  };

/** Parses an integer >= 1. */
export const positiveInt = numberParser((n) => Number.isInteger(n) && n >= 1, "a positive integer");

/** Parses an integer >= 0. */
export const nonNegativeInt = numberParser(
  (n) => Number.isInteger(n) && n >= 0,
  "a non-negative integer",
);

/** Parses an integer >= 0 that a double holds exactly (a seed). */
export const nonNegativeSafeInt = numberParser(
  (n) => Number.isSafeInteger(n) && n >= 0,
  "a non-negative integer",
);

/** Parses a finite number > 0. */
export const positiveNumber = numberParser((n) => n > 0 && Number.isFinite(n), "a positive number");

/** Parses a finite number >= 0. */
export const nonNegativeNumber = numberParser(
  (n) => n >= 0 && Number.isFinite(n),
  "a non-negative number",
);
