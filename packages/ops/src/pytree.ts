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
  throw new LoomError(
    "invalid_argument",
    "pytree",
    `${prefix || "the tree"} is neither a leaf, an array nor a plain object`,
  );
};

/** Maps every leaf of a tree, keeping its structure. */
export const mapTree = <L, M>(
  tree: Tree<L>,
  isLeaf: (x: unknown) => x is L,
  f: (leaf: L, path: string) => M,
  prefix = "",
): Tree<M> => {
  if (isLeaf(tree)) return f(tree, prefix);
  if (Array.isArray(tree))
    return tree.map((t, i) => mapTree(t as Tree<L>, isLeaf, f, join(prefix, i)));
  if (isPlainObject(tree)) {
    return Object.fromEntries(
      Object.entries(tree).map(([k, t]) => [k, mapTree(t as Tree<L>, isLeaf, f, join(prefix, k))]),
    );
  }
  throw new LoomError(
    "invalid_argument",
    "pytree",
    `${prefix || "the tree"} is neither a leaf, an array nor a plain object`,
  );
};

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
