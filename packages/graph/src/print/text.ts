import type { Graph } from "../graph";
import { formatType, numberNodes, topoOrder } from "../graph";
import type { AttrValue, Attrs } from "../node";

/** Formats an attribute value compactly: `[2,2]`, `"x"`, long arrays elided. */
export const formatAttr = (v: AttrValue): string => {
  if (Array.isArray(v)) {
    const items = v as readonly AttrValue[];
    if (items.length > 8)
      return `[${items.slice(0, 6).map(formatAttr).join(",")},…(${items.length})]`;
    return `[${items.map(formatAttr).join(",")}]`;
  }
  if (v !== null && typeof v === "object") {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}:${formatAttr(x)}`)
      .join(", ")}}`;
  }
  return typeof v === "string" ? JSON.stringify(v) : String(v);
};

/** `{stride:[2,2], pad:[1,1]}` or the empty string. Type attrs of sources are shown by the type. */
export const formatAttrs = (attrs: Attrs): string => {
  const entries = Object.entries(attrs).filter(([k]) => k !== "shape" && k !== "dtype");
  return entries.length === 0
    ? ""
    : ` {${entries.map(([k, v]) => `${k}:${formatAttr(v)}`).join(", ")}}`;
};

/**
 * The text form: one line per node, e.g.
 * `%7 = conv2d(%3, %5) {stride:[2,2], pad:[1,1]} : f32[N,64,16,16]`, then the outputs.
 */
export const printText = (g: Graph): string => {
  const order = topoOrder(g);
  const ids = numberNodes(order);
  const ref = (n: (typeof order)[number]) => `%${ids.get(n)!}`;
  const lines = order.map(
    (n) =>
      `  ${ref(n)} = ${n.op}(${n.inputs.map(ref).join(", ")})${formatAttrs(n.attrs)} : ${formatType(n)}`,
  );
  const outs = Object.entries(g.outputs).map(([k, n]) => `${k}: ${ref(n)}`);
  return `graph {\n${lines.join("\n")}\n  return { ${outs.join(", ")} }\n}`;
};
