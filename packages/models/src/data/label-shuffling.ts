import { LoomError, threefry2x32 } from "@loom/graph";

type Key = readonly [number, number];

/** A key of its own for label shuffling, so its streams never coincide with `epochPermutation`'s. */
const TWEAK: Key = [0x4c616265, 0x6c536866];

/** A child key of `k` for the integer `i`: Threefry is a keyed PRF, so children are independent. */
const derive = (k: Key, i: number): Key => [
  threefry2x32(k[0], k[1], i, 0),
  threefry2x32(k[0], k[1], i, 1),
];

/** Fisher-Yates on `a` in place, drawing position i's partner from Threefry of `(i, stream)`. */
const shuffleInPlace = (a: Int32Array, k: Key, stream: number): Int32Array => {
  for (let i = a.length - 1; i > 0; i--) {
    const u = (threefry2x32(k[0], k[1], i, stream) >>> 0) / 2 ** 32;
    const j = Math.floor(u * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
};

/** The example indices of each class, classes in ascending label order. */
const classLists = (labels: Int32Array): Int32Array[] => {
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => {
    const list = byClass.get(l);
    if (list === undefined) byClass.set(l, [i]);
    else list.push(i);
  });
  return [...byClass.keys()].sort((a, b) => a - b).map((l) => Int32Array.from(byClass.get(l)!));
};

/**
 * One balanced round: every class list padded to the size `m` of the largest by
 * concatenating independently shuffled copies of it (the last copy cut short), then all of them
 * concatenated and shuffled together. The final shuffle makes a separate shuffle of each padded
 * list (as the paper describes) redundant, so it is skipped.
 */
const balancedRound = (lists: readonly Int32Array[], k: Key): Int32Array => {
  const m = Math.max(...lists.map((l) => l.length));
  const out = new Int32Array(lists.length * m);
  lists.forEach((list, c) => {
    const ck = derive(k, c);
    for (let copy = 0, filled = 0; filled < m; copy++) {
      const shuffled = shuffleInPlace(Int32Array.from(list), ck, copy);
      const take = Math.min(list.length, m - filled);
      out.set(shuffled.subarray(0, take), c * m + filled);
      filled += take;
    }
  });
  return shuffleInPlace(out, derive(k, -1), 0);
};

/**
 * Class-balanced sampling by "label shuffling" (Shen, Lin and Huang, "Relay Backpropagation
 * for Effective Learning of Deep Convolutional Neural Networks", 2016): an epoch order in which
 * every class appears equally often, however imbalanced `labels` are. Each class's examples are
 * repeated (in shuffled copies) up to the size of the largest class, and the padded lists are
 * shuffled together: a balanced round of `classes * largest` indices. The order is a pure
 * function of `(seed, epoch)`.
 *
 * `count` (default: one round) sets the length: a shorter order is a prefix of the round, a
 * random subset in which classes are balanced in expectation; a longer one appends further
 * rounds. `fit` asks for `n = train.count` entries (see `labelShuffling`), so each epoch sees
 * as many examples as an ordinary one, drawn class-balanced.
 */
export const labelShufflingOrder = (
  labels: Int32Array,
  seed: number,
  epoch: number,
  count?: number,
): Int32Array => {
  if (!(labels instanceof Int32Array) || labels.length === 0) {
    throw new LoomError(
      "invalid_argument",
      "labelShufflingOrder",
      "labels must be a non-empty Int32Array of class indices",
    );
  }
  if (!Number.isSafeInteger(seed) || !Number.isInteger(epoch) || epoch < 0) {
    throw new LoomError(
      "invalid_argument",
      "labelShufflingOrder",
      `seed must be a safe integer and epoch an integer >= 0, got seed ${seed}, epoch ${epoch}`,
    );
  }
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) {
    throw new LoomError(
      "invalid_argument",
      "labelShufflingOrder",
      `count must be an integer >= 0, got ${count}`,
    );
  }
  const lists = classLists(labels);
  const seedKey: Key = [(Math.floor(seed / 2 ** 32) ^ TWEAK[0]) | 0, ((seed | 0) ^ TWEAK[1]) | 0];
  const epochKey = derive(seedKey, epoch);
  const round = (r: number) => balancedRound(lists, derive(epochKey, r));
  const first = round(0);
  const n = count ?? first.length;
  if (n <= first.length) return first.slice(0, n);
  const out = new Int32Array(n);
  for (let r = 0, filled = 0; filled < n; r++) {
    const part = r === 0 ? first : round(r);
    const take = Math.min(part.length, n - filled);
    out.set(part.subarray(0, take), filled);
    filled += take;
  }
  return out;
};

/**
 * Label shuffling as `fit`'s `order` option: `fit({ ..., order: labelShuffling(train.labels,
 * seed) })`. Each epoch gets `n` indices of a fresh balanced order.
 */
export const labelShuffling =
  (labels: Int32Array, seed: number) =>
  (epoch: number, n: number): Int32Array =>
    labelShufflingOrder(labels, seed, epoch, n);
