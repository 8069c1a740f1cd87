import { expect } from "vitest";

/** Sample moments about the mean, in float64: mean, variance and kurtosis. */
export const moments = (xs: ArrayLike<number>) => {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i]!;
  const mean = s / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  return { mean, variance: m2 / n, kurtosis: m4 / n / (m2 / n) ** 2 };
};

/** `|got - want| <= 5 standard errors`: fails by chance about once in 1.7 million runs. */
export const expectWithin5Sigma = (
  got: number,
  want: number,
  stdError: number,
  what: string,
): void => {
  if (Math.abs(got - want) > 5 * stdError)
    expect.fail(`${what}: ${got} is not within 5 sigma (${5 * stdError}) of ${want}`);
};
