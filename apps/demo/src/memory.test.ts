import type { HostTensor, Plan } from "@loom/graph";
import { checkNoOverlap, inferShapes, lowerUnfused, numel, orThrow, planMemory } from "@loom/graph";
import type { Tensor, Tree } from "@loom/ops";
import { hostTensor, isTensor, mapTree, optim, primitives, trace } from "@loom/ops";
import { lenet5, specsOf, trainStep } from "@loom/models";
import { describe, expect, it } from "vitest";

const BATCH = 64;

/** The unfused plan of one LeNet-5 + Adam training step at batch 64, built without running anything. */
const lenetTrainPlan = (): Plan => {
  const model = lenet5();
  const x = { shape: [BATCH, 1, 28, 28] };
  // The variables' shapes come from tracing `init`; zeros stand in for their values.
  const vars = trace(({ key }) => model.init(key, x), { key: { shape: [2], dtype: "int32" } })
    .outputStructure as { params: Tree<Tensor>; state: Tree<Tensor> };
  const zeros = (t: Tree<Tensor>): Tree<HostTensor> =>
    mapTree(t, isTensor, (n) =>
      hostTensor(new Array(numel(n.shape as number[])).fill(0), n.shape, n.dtype),
    );
  const params = zeros(vars.params);
  const optimizer = optim.adam(1e-3);
  const traced = trace(trainStep({ model, optimizer }), {
    params: specsOf(params),
    state: specsOf(zeros(vars.state)),
    opt: specsOf(optimizer.init(params)),
    x,
    y: { shape: [BATCH], dtype: "int32" },
    key: { shape: [2], dtype: "int32" },
    step: { shape: [], dtype: "int32" },
  });
  const g = orThrow(inferShapes(primitives, {}).run(traced.graph));
  return orThrow(lowerUnfused(primitives, g));
};

describe("memory planning of the LeNet-5 training step (batch 64, unfused)", () => {
  const plan = lenetTrainPlan();

  it("reuses memory to within 25% of the lower bound and under half of no reuse", () => {
    const { plan: planned, stats } = planMemory(plan);
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
    console.log(
      `LeNet-5 train step, batch ${BATCH}: ${plan.kernels.length} kernels, ${plan.buffers.length} buffers; ` +
        `peak ${mb(stats.peakBytes)} (${stats.peakBytes} B), lower bound ${mb(stats.lowerBoundBytes)} ` +
        `(${stats.lowerBoundBytes} B), no reuse ${mb(stats.noReuseBytes)} (${stats.noReuseBytes} B), ` +
        `${stats.inPlace} in place`,
    );
    expect(() => orThrow(checkNoOverlap(planned))).not.toThrow();
    expect(stats.peakBytes).toBeGreaterThanOrEqual(stats.lowerBoundBytes);
    expect(stats.peakBytes).toBeLessThanOrEqual(1.25 * stats.lowerBoundBytes);
    expect(stats.peakBytes).toBeLessThanOrEqual(0.5 * stats.noReuseBytes);
    expect(stats.inPlace).toBeGreaterThan(0);
  });

  it("stays valid without in-place updates (the WebGL setting)", () => {
    const { plan: planned, stats } = planMemory(plan, { inPlace: false });
    expect(() => orThrow(checkNoOverlap(planned))).not.toThrow();
    expect(stats.inPlace).toBe(0);
    expect(stats.peakBytes).toBeLessThanOrEqual(1.25 * stats.lowerBoundBytes);
  });
});
