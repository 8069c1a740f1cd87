import type { RunValue } from "./device";
import { LoomError } from "./error";
import { ownValue } from "./own";
import type { Plan } from "./plan";
import { formatShape, numel } from "./shape";

/**
 * Checks feeds against a plan's inputs: every input present, with its shape and dtype. Every
 * backend calls it before running, so a bad feed fails with the same message everywhere.
 */
export const checkFeeds = (plan: Plan, feeds: Readonly<Record<string, RunValue>>): void => {
  for (const [name, id] of Object.entries(plan.inputs)) {
    const b = plan.buffers[id]!;
    const f = ownValue(feeds, name);
    if (f === undefined) {
      throw new LoomError(
        "missing_feed",
        "run",
        `no value fed for input "${name}" ${formatShape(b.shape)}; feeds: ${Object.keys(feeds).join(", ") || "none"}`,
      );
    }
    // A device tensor's values are where its backend keeps them: as many as its shape says.
    const count = "data" in f ? f.data.length : numel(f.shape);
    if (f.dtype !== b.dtype || f.shape.join() !== b.shape.join() || count !== numel(b.shape)) {
      throw new LoomError(
        "shape_mismatch",
        "run",
        `input "${name}" expects ${b.dtype}${formatShape(b.shape)}, was fed ${f.dtype}${formatShape(f.shape)} with ${count} values`,
        [b.shape, f.shape],
      );
    }
  }
};
