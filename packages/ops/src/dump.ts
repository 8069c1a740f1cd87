import type { Graph, MemoryStats, Plan } from "@loom/graph";
import { printDot, printPlan, printText } from "@loom/graph";

interface Fs {
  readonly mkdirSync: (p: string, o: { recursive: boolean }) => void;
  readonly writeFileSync: (p: string, data: string) => void;
}

/** The folder named by LOOM_DUMP_DIR, when running under Node with it set. */
const dumpDir = (): string | undefined => {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.["LOOM_DUMP_DIR"] || undefined;
};

const nodeFs = (): Fs | undefined =>
  (
    globalThis as { process?: { getBuiltinModule?: (m: string) => unknown } }
  ).process?.getBuiltinModule?.("node:fs") as Fs | undefined;

let compiles = 0;

/**
 * A dumper for one compile when LOOM_DUMP_DIR is set (Node only): every graph stage as text
 * and DOT, and the fused and planned plans as text, in files numbered by compile and stage.
 */
export const stageDumper = ():
  | {
      graph: (name: string, g: Graph) => void;
      plan: (name: string, p: Plan, stats?: MemoryStats) => void;
    }
  | undefined => {
  const dir = dumpDir();
  const fs = dir === undefined ? undefined : nodeFs();
  if (dir === undefined || fs === undefined) return undefined;
  fs.mkdirSync(dir, { recursive: true });
  const id = String(++compiles).padStart(3, "0");
  let stage = 0;
  const file = (name: string, ext: string) =>
    `${dir}/${id}-${String(stage).padStart(2, "0")}-${name}.${ext}`;
  return {
    graph: (name, g) => {
      fs.writeFileSync(file(name, "txt"), printText(g));
      fs.writeFileSync(file(name, "dot"), printDot(g, name));
      stage++;
    },
    plan: (name, p, stats) => {
      fs.writeFileSync(
        file(name, "txt"),
        `${printPlan(p)}${stats ? `\n${JSON.stringify(stats)}` : ""}\n`,
      );
      stage++;
    },
  };
};
