/** Roots of a traced input tree whose leaves are a model's variables, named by layer. */
const VARIABLE_ROOTS = ["params", "state"];

const segments = (path: string): string[] => path.split(".");

/** True when `path`'s segments end with those of `tail`. */
const endsWith = (path: readonly string[], tail: readonly string[]): boolean =>
  tail.length <= path.length && tail.every((s, i) => path[path.length - tail.length + i] === s);

/**
 * The layer path of every input leaf of a traced function, or undefined. A leaf under
 * `params` or `state` names its layer by its path without the root and the leaf
 * (`params.layer1.0.conv1.w` is `layer1.0.conv1`); any other leaf whose path ends with a known
 * layer's path and a leaf name belongs to the longest such layer (`optState.m.conv1.w` to `conv1`),
 * so optimizer state is labelled with the layer it updates. Leaves of no layer (the data, the
 * key, the step) get none.
 */
export const layerPaths = (leaves: readonly string[]): (string | undefined)[] => {
  const known = leaves
    .map(segments)
    .filter((s) => s.length > 2 && VARIABLE_ROOTS.includes(s[0]!))
    .map((s) => s.slice(1, -1));
  return leaves.map((leaf) => {
    const owner = segments(leaf).slice(0, -1);
    const best = known
      .filter((k) => endsWith(owner, k))
      .reduce<string[] | undefined>((a, k) => (a && a.length >= k.length ? a : k), undefined);
    return best?.join(".");
  });
};
