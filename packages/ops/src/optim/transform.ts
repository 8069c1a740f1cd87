import type { DType, HostTensor } from "@loom/graph";
import { allocTyped, LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { isTensor } from "../core";
import { add } from "../api/elementwise";
import type { Tree } from "../pytree";
import { flattenTree, mapTree, zipTrees } from "../pytree";

/** The trainable parameters as they appear inside a traced training step. */
export type Params = Tree<Tensor>;

/**
 * An optimizer in the style of Optax: a pair of pure functions. `init` runs once on the host;
 * `update` is symbolic, so that the whole training step (forward, backward and update)
 * compiles into one graph. State trees are plain objects and arrays of tensors whose
 * flattened paths (`step`, `m.dense1.w`) become checkpoint keys.
 */
export interface GradientTransformation {
  /** Initial optimizer state on the host, shaped after the (host) params: zeros, counters. */
  readonly init: (params: Tree<HostTensor>) => Tree<HostTensor>;
  /** Symbolic update: from gradients (and params) to updates to ADD to the params, and the next state. */
  readonly update: (
    grads: Tree<Tensor>,
    state: Tree<Tensor>,
    params: Tree<Tensor>,
  ) => { updates: Tree<Tensor>; state: Tree<Tensor> };
}

/** Maps the leaves of two trees of one structure pairwise (a structural difference is a LoomError). */
export const treeMap2 = (
  a: Tree<Tensor>,
  b: Tree<Tensor>,
  f: (x: Tensor, y: Tensor, path: string) => Tensor,
): Tree<Tensor> => zipTrees(a, b, isTensor, isTensor, f);

/** Maps the leaves of three trees of one structure (a structural difference is a LoomError). */
export const treeMap3 = (
  a: Tree<Tensor>,
  b: Tree<Tensor>,
  c: Tree<Tensor>,
  f: (x: Tensor, y: Tensor, z: Tensor, path: string) => Tensor,
): Tree<Tensor> => {
  const cs = leavesLike("treeMap3", "the third tree", c, a);
  return zipTrees(a, b, isTensor, isTensor, (x, y, path) => f(x, y, cs.get(path)!, path));
};

/** `params + updates`, leaf by leaf: how the output of `update` is applied. */
export const applyUpdates = <T extends Tree<Tensor>>(params: T, updates: Tree<Tensor>): T =>
  treeMap2(params, updates, (p, u) => add(p, u)) as T;

/**
 * The leaves of `tree` by path, checked to have exactly the paths of `like`, so that a state
 * restored from a checkpoint of another model fails here with the path rather than deep in
 * a kernel.
 */
export const leavesLike = (
  op: string,
  what: string,
  tree: Tree<Tensor>,
  like: Tree<Tensor>,
): Map<string, Tensor> => {
  const leaves = new Map(flattenTree(tree, isTensor).map((p) => [p.path, p.leaf]));
  const paths = flattenTree(like, isTensor).map((p) => p.path);
  const missing = paths.find((p) => !leaves.has(p));
  const extra = [...leaves.keys()].find((p) => !paths.includes(p));
  if (missing !== undefined || extra !== undefined) {
    const where =
      missing !== undefined
        ? `has no leaf "${missing}"`
        : `has a leaf "${extra}" the gradients do not have`;
    throw new LoomError(
      "invalid_argument",
      op,
      `${what} ${where}; it must have the structure of the params (re-run init)`,
    );
  }
  return leaves;
};

/**
 * Maps several same-structured trees leaf by leaf to several output trees at once (an
 * update and the next moments), so that shared subexpressions are built once. The first
 * tree of `trees` gives the structure; the others are checked against it.
 */
export const zipLeaves = <K extends string>(
  op: string,
  trees: Readonly<Record<string, Tree<Tensor>>>,
  keys: readonly K[],
  f: (leaves: Readonly<Record<string, Tensor>>, path: string) => Record<K, Tensor>,
): Record<K, Tree<Tensor>> => {
  const [first, ...rest] = Object.entries(trees);
  if (first === undefined)
    throw new LoomError("invalid_argument", op, "zipLeaves needs at least one tree");
  const others = rest.map(([name, t]) => [name, leavesLike(op, name, t, first[1])] as const);
  const results = new Map<string, Record<K, Tensor>>();
  mapTree(first[1], isTensor, (leaf, path) => {
    const args = Object.fromEntries([
      [first[0], leaf],
      ...others.map(([name, m]) => [name, m.get(path)!]),
    ]);
    results.set(path, f(args, path));
    return leaf;
  });
  return Object.fromEntries(
    keys.map((k) => [k, mapTree(first[1], isTensor, (_, path) => results.get(path)![k])]),
  ) as Record<K, Tree<Tensor>>;
};

/** Reads the named fields of an optimizer state, with a LoomError naming the missing one. */
export const stateFields = <K extends string>(
  op: string,
  state: Tree<Tensor>,
  keys: readonly K[],
): Record<K, Tree<Tensor>> => {
  const isRecord =
    typeof state === "object" && state !== null && !Array.isArray(state) && !isTensor(state);
  const missing = isRecord ? keys.find((k) => !(k in state)) : keys[0];
  if (missing !== undefined) {
    throw new LoomError(
      "invalid_argument",
      op,
      `the optimizer state has no field "${missing}"; pass the tree that init made`,
    );
  }
  return state as Record<K, Tree<Tensor>>;
};

/** Reads a scalar tensor field (a step counter) of an optimizer state. */
export const stateScalar = (op: string, state: Tree<Tensor>, key: string): Tensor => {
  const v = stateFields(op, state, [key])[key];
  if (!isTensor(v) || v.shape.length !== 0) {
    throw new LoomError(
      "invalid_argument",
      op,
      `the optimizer state field "${key}" must be a scalar tensor`,
    );
  }
  return v;
};

/** Zeros of a host tensor's shape and dtype: the initial moments of every optimizer. */
export const zerosLikeHost = (p: HostTensor): HostTensor => ({
  data: allocTyped(p.dtype, p.data.length),
  shape: [...p.shape],
  dtype: p.dtype,
});

/** A host scalar counter at 0, float32 so that every backend holds it (exact up to 2^24 steps). */
export const initialStep = (): HostTensor => ({
  data: allocTyped("float32", 1),
  shape: [],
  dtype: "float32",
});

/** float64 if any tensor is float64, else float32: where sums over a whole tree are accumulated. */
export const widestFloat = (ts: readonly Tensor[]): DType =>
  ts.some((t) => t.dtype === "float64") ? "float64" : "float32";

/**
 * Applies transformations one after another; the state is the array of their states. As
 * Optax's `chain`: `chain(clipByGlobalNorm(1), adam(1e-3))` clips before Adam.
 */
export const chain = (...ts: GradientTransformation[]): GradientTransformation => ({
  init: (params) => ts.map((t) => t.init(params)),
  update: (grads, state, params) => {
    if (!Array.isArray(state) || state.length !== ts.length) {
      throw new LoomError(
        "invalid_argument",
        "chain",
        `expects an array of ${ts.length} states (one per transformation); pass the tree that init made`,
      );
    }
    let updates = grads;
    const next = ts.map((t, i) => {
      const r = t.update(updates, state[i] as Tree<Tensor>, params);
      updates = r.updates;
      return r.state;
    });
    return { updates, state: next };
  },
});

/** Throws a LoomError unless a hyperparameter is a finite number satisfying `ok`. */
export const checkHyper = (
  op: string,
  name: string,
  value: number,
  ok: (v: number) => boolean,
  rule: string,
): void => {
  if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
    throw new LoomError("invalid_argument", op, `${name} must be ${rule}, got ${String(value)}`);
  }
};
