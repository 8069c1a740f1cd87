import { vi } from "vitest";

// Tests always validate: every pipeline run in the node suite checks each stage's output (the
// graph validator after graph passes, `validatePlan` after lowering and plan passes) unless a
// test turns it off. The library reads no environment; this is the one place that turns it on.
vi.mock("../packages/ops/src/pipeline.ts", async (importOriginal) => {
  const m = await importOriginal<typeof import("../packages/ops/src/pipeline")>();
  type Opts = Parameters<typeof m.runStages>[2];
  const on = (o: Opts): Opts => ({ validate: true, ...o });
  return {
    ...m,
    runStages: (g, b, o) => m.runStages(g, b, on(o)),
    planGraph: (g, b, o) => m.planGraph(g, b, on(o)),
    inspectPipeline: (g, b, o) => m.inspectPipeline(g, b, on(o)),
  } satisfies typeof m;
});
