import fc from "fast-check";

/** Small shapes for property tests: ranks `minRank..maxRank`, dims `1..maxDim`. */
export const shapeArb = (minRank = 0, maxRank = 3, maxDim = 4): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });

/** A seed for `rng`, drawn by fast-check so that a failing case replays with its values. */
export const seedArb: fc.Arbitrary<number> = fc.integer({ min: 1, max: 0x7fffffff });

/**
 * A shape that broadcasts against `shape` (NumPy's rule): a suffix of it, some dims set to 1
 * as `ones` (one flag per kept dim, from the right) says.
 */
export const broadcastPartner = (
  shape: readonly number[],
  keep: number,
  ones: readonly boolean[],
): number[] =>
  shape.slice(shape.length - Math.min(keep, shape.length)).map((d, i) => (ones[i] ? 1 : d));

/**
 * A record of integers, each drawn from its inclusive `[min, max]` range: the geometry of a
 * random case (`intsArb({ n: [1, 2], h: [3, 7] })`), written once instead of an `fc.integer`
 * per field.
 */
export const intsArb = <K extends string>(
  ranges: Readonly<Record<K, readonly [number, number]>>,
): fc.Arbitrary<Record<K, number>> =>
  fc.record(
    Object.fromEntries(
      Object.entries<readonly [number, number]>(ranges).map(([k, [min, max]]) => [
        k,
        fc.integer({ min, max }),
      ]),
    ),
  ) as unknown as fc.Arbitrary<Record<K, number>>;

/** `n` integers in `[min, max]`, as a tuple: strides, dilations, paddings of a window. */
export const intTupleArb = (n: number, min: number, max: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min, max }), { minLength: n, maxLength: n });

/**
 * Two shapes that broadcast together (NumPy's rule), drawn from `shapes` and a partner that
 * keeps up to `maxKeep` of its trailing dims; which one is the larger is drawn too.
 */
export const broadcastPairArb = (
  shapes: fc.Arbitrary<number[]>,
  maxKeep: number,
): fc.Arbitrary<readonly [number[], number[]]> =>
  fc
    .record({
      shape: shapes,
      keep: fc.integer({ min: 0, max: maxKeep }),
      ones: fc.array(fc.boolean(), { minLength: maxKeep, maxLength: maxKeep }),
      swap: fc.boolean(),
    })
    .map(({ shape, keep, ones, swap }) => {
      const other = broadcastPartner(shape, keep, ones);
      return swap ? ([other, shape] as const) : ([shape, other] as const);
    });
