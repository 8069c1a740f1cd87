import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PipelineOptions } from "@loom/graph";
import { dumpSink } from "@loom/ops";

/**
 * The pipeline options the environment asks for: `LOOM_DEBUG` (any non-empty value) runs
 * the validator between stages, `LOOM_DUMP_DIR=dir` dumps every stage of every compile to
 * `dir`. Only the CLI reads the environment; the library takes these as options.
 */
export const pipelineFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
): Pick<PipelineOptions, "validate" | "sink"> => {
  const dir = env["LOOM_DUMP_DIR"] || undefined;
  if (dir !== undefined) mkdirSync(dir, { recursive: true });
  return {
    ...(env["LOOM_DEBUG"] ? { validate: true } : {}),
    ...(dir === undefined
      ? {}
      : { sink: dumpSink((file, text) => writeFileSync(join(dir, file), text)) }),
  };
};
