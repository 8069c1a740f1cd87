/**
 * The Graph panel's selection across stages. Node ids change from stage to stage, but each node
 * keeps its layer (provenance), so a node is known by its layer, op, shape and how many such
 * nodes come before it: a stage that still computes it selects it again.
 */
import type { Box, DrawnGraph } from "./graph-model";
import { groupKey, prefixOf } from "./graph-model";

/** The selected node, in terms that outlive a switch of stage. */
export interface Selection {
  readonly sig: string;
}

/** Each node's signature: layer, op, shape and its rank among the nodes sharing those. */
export const signatures = (d: DrawnGraph): string[] => {
  const seen = new Map<string, number>();
  return d.nodes.map((n) => {
    const base = `${d.paths[n.id]}|${n.op}|${n.shape.join("x")}`;
    const k = seen.get(base) ?? 0;
    seen.set(base, k + 1);
    return `${base}#${k}`;
  });
};

/** The selection a clicked node's box makes. */
export const selectionOf = (b: Box, sigs: readonly string[]): Selection => ({
  sig: sigs[b.members[0]!]!,
});

/**
 * The box showing a selection in a drawn graph: the node's own box, or its layer's box when the
 * layer is collapsed; undefined when the stage no longer has the node.
 */
export const selectedKey = (
  sel: Selection | undefined,
  d: DrawnGraph,
  sigs: readonly string[],
  depth: number,
  expanded: ReadonlySet<string>,
): string | undefined => {
  if (sel === undefined) return undefined;
  const id = sigs.indexOf(sel.sig);
  if (id < 0) return undefined;
  const group = prefixOf(d.paths[id]!, depth);
  return expanded.has(group) ? `n${id}` : groupKey(group);
};
