import * as E from "fp-ts/lib/Either.js";
import type { Graph } from "../graph";
import { rebuild, sameInputs } from "../graph";
import type { AttrValue, Node } from "../node";
import { freezeNode } from "../node";
import type { Pass } from "./pass";
import { isInputNode } from "../sources";

/**
 * A canonical text of an attribute value: object keys sorted, and numbers written so that
 * -0, NaN and the infinities stay distinct (JSON.stringify would merge them into 0 and null).
 */
export const canonicalAttr = (v: AttrValue): string => {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalAttr).join(",")}]`;
  const o = v as { readonly [k: string]: AttrValue };
  const keys = Object.keys(o).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalAttr(o[k]!)}`).join(",")}}`;
};

/**
 * Common-subexpression elimination by hash-consing: two nodes with the same op, the same
 * (already deduplicated) inputs by identity, equal attributes and the same type are one
 * node; equal constants merge too. Graph inputs are never merged (they are the signature).
 */
export const cse = (): Pass => ({
  name: "cse",
  run: (g: Graph) => {
    const ids = new Map<Node, number>();
    const byKey = new Map<string, Node>();
    return rebuild(g, (n, inputs) => {
      const cur = sameInputs(inputs, n.inputs) ? n : freezeNode(n.op, inputs, n.attrs, n);
      if (isInputNode(n)) {
        ids.set(cur, ids.size);
        return E.right(cur);
      }
      const key = [
        n.op,
        n.dtype,
        canonicalAttr(n.shape),
        inputs.map((i) => ids.get(i)).join(","),
        canonicalAttr(n.attrs),
      ].join("|");
      const seen = byKey.get(key);
      if (seen !== undefined) return E.right(seen);
      byKey.set(key, cur);
      ids.set(cur, ids.size);
      return E.right(cur);
    });
  },
});
