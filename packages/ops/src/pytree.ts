import { LoomError, ownValue } from "@loom/graph";

/** A nested structure of plain objects and arrays whose leaves are `L`. */
export type Tree<L> = L | readonly Tree<L>[] | { readonly [k: string]: Tree<L> };

/** A leaf with its stable dotted path (`params.dense1.w`, `layers.0.b`), used as names and checkpoint keys. */
export interface PathLeaf<L> {
  readonly path: string;
  readonly leaf: L;
}

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" &&
  x !== null &&
  !Array.isArray(x) &&
  Object.getPrototypeOf(x) === Object.prototype;

/** The error for a value inside a tree that is neither a leaf, an array nor a plain object. */
const notATree = (prefix: string): LoomError =>
  new LoomError(
    "invalid_argument",
    "pytree",
    `${prefix || "the tree"} is neither a leaf, an array nor a plain object`,
  );

const join = (prefix: string, k: string | number) => (prefix === "" ? String(k) : `${prefix}.${k}`);

/**
 * Flattens a tree into its leaves in a stable order: arrays by index, objects by key in
 * insertion order. `isLeaf` decides what counts as a leaf (a tensor, a host tensor...).
 */
export const flattenTree = <L>(
  tree: Tree<L>,
  isLeaf: (x: unknown) => x is L,
  prefix = "",
): PathLeaf<L>[] => {
  if (isLeaf(tree)) return [{ path: prefix, leaf: tree }];
  if (Array.isArray(tree))
    return tree.flatMap((t, i) => flattenTree(t as Tree<L>, isLeaf, join(prefix, i)));
  if (isPlainObject(tree)) {
    return Object.entries(tree).flatMap(([k, t]) =>
      flattenTree(t as Tree<L>, isLeaf, join(prefix, k)),
    );
  }
  throw notATree(prefix);
};

/**
 * The tree `T` with each leaf of type `L` replaced by `M`, keeping its structure and keys, so a
 * typed tree stays typed (`params.fc.w`); an untyped `Tree<L>` gives `Tree<M>`. The types of
 * what flows in and out of a compiled function follow the user's tree this way too.
 */
export type MapLeaves<T, L, M> =
  Tree<L> extends T
    ? Tree<M>
    : T extends L
      ? M
      : T extends object
        ? { -readonly [K in keyof T]: MapLeaves<T[K], L, M> }
        : never;

const mapUntyped = <L, M>(
  tree: Tree<L>,
  isLeaf: (x: unknown) => x is L,
  f: (leaf: L, path: string) => M,
  prefix: string,
): Tree<M> => {
  if (isLeaf(tree)) return f(tree, prefix);
  if (Array.isArray(tree))
    return tree.map((t, i) => mapUntyped(t as Tree<L>, isLeaf, f, join(prefix, i)));
  if (isPlainObject(tree)) {
    return Object.fromEntries(
      Object.entries(tree).map(([k, t]) => [
        k,
        mapUntyped(t as Tree<L>, isLeaf, f, join(prefix, k)),
      ]),
    );
  }
  throw notATree(prefix);
};

/**
 * Maps every leaf of a tree, keeping its structure and its type: mapping a model's typed
 * params gives a tree with the same paths (`mapTree(vars.params, isHostTensor, f).fc.w`).
 */
export const mapTree = <L, M, T extends Tree<L> = Tree<L>>(
  tree: T,
  isLeaf: (x: unknown) => x is L,
  f: (leaf: L, path: string) => M,
  prefix = "",
): MapLeaves<T, L, M> => mapUntyped(tree, isLeaf, f, prefix) as MapLeaves<T, L, M>;

/**
 * Maps leaves of two trees of the same structure pairwise; a structural difference is a
 * LoomError naming the first differing path.
 */
export const zipTrees = <A, B, C>(
  a: Tree<A>,
  b: Tree<B>,
  isLeafA: (x: unknown) => x is A,
  isLeafB: (x: unknown) => x is B,
  f: (x: A, y: B, path: string) => C,
): Tree<C> => {
  const fb = new Map(flattenTree(b, isLeafB).map((p) => [p.path, p.leaf]));
  const pa = flattenTree(a, isLeafA);
  if (pa.length !== fb.size || pa.some((p) => !fb.has(p.path))) {
    const missing =
      pa.find((p) => !fb.has(p.path))?.path ??
      [...fb.keys()].find((k) => !pa.some((p) => p.path === k));
    throw new LoomError("invalid_argument", "pytree", `trees differ in structure at "${missing}"`);
  }
  return mapTree(a, isLeafA, (x, path) => f(x, fb.get(path)!, path));
};

/** Rebuilds a tree of the given structure from leaves keyed by path. */
export const unflattenTree = <L, M>(
  structure: Tree<L>,
  isLeaf: (x: unknown) => x is L,
  leaves: ReadonlyMap<string, M> | Readonly<Record<string, M>>,
): Tree<M> => {
  const get = (p: string) =>
    leaves instanceof Map ? leaves.get(p) : ownValue(leaves as Record<string, M>, p);
  return mapTree(structure, isLeaf, (_, path) => {
    const v = get(path);
    if (v === undefined) throw new LoomError("invalid_argument", "pytree", `no leaf for "${path}"`);
    return v;
  });
};
