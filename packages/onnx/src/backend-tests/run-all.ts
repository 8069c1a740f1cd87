import * as E from "fp-ts/lib/Either.js";
import type { Backend } from "@loom/graph";
import { caseDirs, loadCase } from "./load-cases";
import type { CaseResult } from "./run-case";
import { runCase } from "./run-case";

/** Options of {@link runBackendTests}. */
export interface RunTestsOptions {
  /** Only tests whose name contains this. */
  readonly filter?: string;
  /** Sees each result as it comes (for a progress line). */
  readonly onResult?: (r: CaseResult) => void;
}

/**
 * Runs every test of `groups` under `root` (ONNX's `data/` layout) on `backend`, one after
 * another. A test whose files loom cannot read (an element type it lacks) is unsupported.
 */
export const runBackendTests = async (
  backend: Backend,
  root: string,
  groups: readonly string[],
  opts: RunTestsOptions = {},
): Promise<CaseResult[]> => {
  const results: CaseResult[] = [];
  for (const group of groups) {
    for (const { name, dir } of caseDirs(root, group)) {
      if (opts.filter !== undefined && !name.includes(opts.filter)) continue;
      const c = loadCase(dir, group, name);
      const r: CaseResult = E.isLeft(c)
        ? { name, group, ops: [], status: "unsupported", message: c.left.message }
        : await runCase(backend, c.right);
      opts.onResult?.(r);
      results.push(r);
    }
  }
  return results;
};
