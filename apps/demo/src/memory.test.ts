import type { HostTensor, Plan } from "@loom/graph";
import {
  checkNoOverlap,
  inferShapes,
  lowerUnfused,
  numel,
  orThrow,
  planMemory,
  topoOrder,
} from "@loom/graph";
import type { Tensor, Tree } from "@loom/ops";
import {
  hostTensor,
  inspectPipeline,
  isTensor,
  mapTree,
  optim,
  primitives,
  trace,
} from "@loom/ops";
import { lenet5, specsOf, trainGraph, trainStep } from "@loom/models";
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
    optState: specsOf(optimizer.init(params)),
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

describe("the optimising pipeline on the LeNet-5 training step (batch 64, as `loom inspect --train` reports it)", () => {
  const traced = trainGraph("lenet", BATCH);
  const report = inspectPipeline(traced, {});
  const unscheduled = inspectPipeline(traced, {}, { disable: ["schedule"] });
  const { planned } = report;
  const memory = report.memory!;
  const tracedNodes = topoOrder(traced).length;

  it("meets the issue's targets: kernels <= 1/3 of traced nodes, peak <= 1.25x lower bound and <= 0.5x no reuse", () => {
    console.log(
      `LeNet-5 train step (fused, scheduled, planned): ${tracedNodes} traced nodes -> ${planned.kernels.length} kernels; ` +
        `peak ${memory.peakBytes} B, lower bound ${memory.lowerBoundBytes} B, no reuse ${memory.noReuseBytes} B ` +
        `(${(memory.peakBytes / memory.noReuseBytes).toFixed(3)}); unscheduled peak ${unscheduled.memory!.peakBytes} B; ` +
        `inputs ${memory.inputBytes} B and outputs ${memory.outputBytes} B outside the arena`,
    );
    expect(() => orThrow(checkNoOverlap(planned))).not.toThrow();
    expect(planned.kernels.length * 3).toBeLessThanOrEqual(tracedNodes);
    expect(memory.peakBytes).toBeLessThanOrEqual(1.25 * memory.lowerBoundBytes);
    expect(memory.peakBytes).toBeLessThanOrEqual(0.5 * memory.noReuseBytes);
    expect(memory.peakBytes).toBeLessThan(unscheduled.memory!.peakBytes);
  });

  it("writes both pooling gradients over the forward activations they read", () => {
    const pools = planned.kernels.filter(
      (k) => k.kind === "library" && k.call.kind === "max_pool2d_grad",
    );
    expect(pools).toHaveLength(2);
    for (const k of pools) {
      expect(k.kind === "library" && k.epilogue).toBeFalsy();
      expect(planned.buffers[k.out]!.slot).toBe(planned.buffers[k.inputs[0]!]!.slot);
    }
  });

  it("gives graph inputs and outputs no arena slot", () => {
    for (const id of Object.values(planned.inputs))
      expect(planned.buffers[id]!.slot).toBeUndefined();
    for (const id of Object.values(planned.outputs)) {
      if (planned.buffers[id]!.kind === "temp") expect(planned.buffers[id]!.slot).toBeUndefined();
    }
  });
});
