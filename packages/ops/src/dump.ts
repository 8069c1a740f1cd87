import type { StageRecord, StageSink } from "@loom/graph";
import { printDot, printPlan, printText } from "@loom/graph";

/** Where a dump sink writes: a file name (no folder) and its text. */
export type WriteFile = (file: string, text: string) => void;

/**
 * A sink that dumps every stage of every compile through `write`: each graph as text and DOT,
 * each plan as text (with its memory statistics), in files `<run>-<stage number>-<stage>.<ext>`.
 * `<run>` is the compile's `name` (a second compile of one name gets `-2`, ...); unnamed
 * compiles are numbered by this sink. The library never reads the environment: the CLI maps
 * `LOOM_DUMP_DIR` to a sink writing there.
 */
export const dumpSink = (write: WriteFile): StageSink => {
  const runs = new Map<string, number>();
  let unnamed = 0;
  let prefix = "";
  let stage = 0;
  const start = (name: string | undefined) => {
    const base = name ?? String(++unnamed).padStart(3, "0");
    const n = (runs.get(base) ?? 0) + 1;
    runs.set(base, n);
    prefix = n === 1 ? base : `${base}-${n}`;
    stage = 0;
  };
  const file = (r: StageRecord, ext: string) =>
    `${prefix}-${String(stage).padStart(2, "0")}-${r.name}.${ext}`;
  return {
    stage: (r, name) => {
      if (r.name === "input") start(name);
      if (r.kind === "graph") {
        write(file(r, "txt"), printText(r.graph));
        write(file(r, "dot"), printDot(r.graph, r.name));
      } else {
        write(
          file(r, "txt"),
          `${printPlan(r.plan)}${r.stats ? `\n${JSON.stringify(r.stats)}` : ""}\n`,
        );
      }
      stage++;
    },
  };
};
