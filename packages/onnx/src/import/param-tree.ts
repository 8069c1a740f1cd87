import type { Tree } from "@loom/ops";

/**
 * Nests values by the dots of their names (`fc1.weight` -> `{ fc1: { weight } }`), so an
 * exported model's pytree paths come back as the same tree; when one name is a prefix of
 * another (`a` and `a.b`) the tree stays flat. Either way a leaf's path is its name.
 */
export const nestByDots = <L>(entries: readonly (readonly [string, L])[]): Tree<L> => {
  const names = new Set(entries.map(([k]) => k));
  const clash = entries.some(([k]) =>
    k.split(".").some((_, i, parts) => i > 0 && names.has(parts.slice(0, i).join("."))),
  );
  const empty = entries.some(([k]) => k.split(".").some((p) => p === ""));
  if (clash || empty) return Object.fromEntries(entries);
  const root: Record<string, unknown> = {};
  for (const [name, v] of entries) {
    const parts = name.split(".");
    let at = root;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]!] = v;
  }
  return root as Tree<L>;
};
