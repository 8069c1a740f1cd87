import type { Graph } from "../graph";
import { formatType, numberNodes, topoOrder } from "../graph";
import { formatAttrs } from "./text";

const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

/** Graphviz DOT: one box per node labelled with op, attributes and type; outputs as ellipses. */
export const printDot = (g: Graph, title = "loom"): string => {
  const order = topoOrder(g);
  const ids = numberNodes(order);
  const lines = [
    `digraph "${esc(title)}" {`,
    "  rankdir=TB;",
    '  node [shape=box, fontname="monospace", fontsize=10];',
  ];
  for (const n of order) {
    const id = ids.get(n)!;
    const fill = n.op === "input" ? ', style=filled, fillcolor="#dbeafe"' : "";
    lines.push(
      `  n${id} [label="%${id} ${esc(n.op)}${esc(formatAttrs(n.attrs))}\\n${esc(formatType(n))}"${fill}];`,
    );
    for (const inp of n.inputs) lines.push(`  n${ids.get(inp)!} -> n${id};`);
  }
  for (const [k, n] of Object.entries(g.outputs)) {
    lines.push(
      `  "out:${esc(k)}" [shape=ellipse, label="${esc(k)}"];`,
      `  n${ids.get(n)!} -> "out:${esc(k)}";`,
    );
  }
  lines.push("}");
  return lines.join("\n");
};
