import { describe, expect, it } from "vitest";
import type { HostTensor, Plan } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor, TensorSpec } from "@loom/ops";
import { add, concat, matmul, mul, planGraph, relu, sqrt, sum, trace } from "@loom/ops";
import { splitWideKernels } from "./split-wide-kernels";
import { mismatch, randomFloat32 } from "@loom/testing";
import { interpretPlan } from "@loom/backend-cpu";
import { kernelReads } from "./texture-pool";

// Kernels reading more buffers than a shader may sample are split into kernels that each
// read few enough; the split plan must compute exactly what the original does (checked on
// the reference interpreter, which rounds every float32 op, so storing a part changes nothing).

const N = 40;
const MAX = 8;

const planOf = (
  fn: (t: Record<string, Tensor>) => Record<string, Tensor>,
  specs: Record<string, TensorSpec>,
): Plan => planGraph(trace(fn as never, specs as never).graph, {}, { inPlace: false });

const feedsOf = (specs: Record<string, TensorSpec>): Record<string, HostTensor> =>
  Object.fromEntries(
    Object.entries(specs).map(([k, s], i) => [k, randomFloat32(s.shape as number[], i + 1)]),
  );

const many = (shape: number[]) =>
  Object.fromEntries(Array.from({ length: N }, (_, k) => [`x${k}`, { shape }])) as Record<
    string,
    TensorSpec
  >;

describe("splitWideKernels", () => {
  it.each([
    [
      "a global norm (a sum of many reductions)",
      (t: Record<string, Tensor>) => ({
        y: sqrt(
          Object.values(t).reduce((acc, x) => add(acc, sum(mul(x, x))), sum(mul(t["x0"]!, 0))),
        ),
      }),
      many([3, 2]),
    ],
    [
      "a concat of many tensors",
      (t: Record<string, Tensor>) => ({ y: concat(Object.values(t), 1) }),
      many([2, 3]),
    ],
    [
      "an epilogue with many inputs",
      (t: Record<string, Tensor>) => {
        const { a, w, ...bs } = t;
        return { y: relu(Object.values(bs).reduce((acc, b) => add(acc, b), matmul(a!, w!))) };
      },
      { a: { shape: [4, 5] }, w: { shape: [5, 3] }, ...many([3]) },
    ],
  ] as const)("splits %s and computes the same", (_, fn, specs) => {
    const plan = planOf(fn as never, specs);
    expect(Math.max(...plan.kernels.map((k) => kernelReads(k).length))).toBeGreaterThan(MAX);
    const split = splitWideKernels(plan, MAX);
    expect(Math.max(...split.kernels.map((k) => kernelReads(k).length))).toBeLessThanOrEqual(MAX);
    const feeds = feedsOf(specs);
    const want = interpretPlan(plan)(feeds)["y"]!;
    const got = interpretPlan(split)(feeds)["y"]!;
    expect(mismatch(got, want, { rtol: 0 })).toBeUndefined();
  });

  it("leaves a plan that fits alone", () => {
    const plan = planOf(({ a, b }) => ({ y: add(a!, b!) }), {
      a: { shape: [2] },
      b: { shape: [2] },
    });
    expect(splitWideKernels(plan, MAX)).toBe(plan);
  });

  it("refuses loads inside a reduction loop with a LoomError", () => {
    const plan = planOf((t) => ({ y: sum(concat(Object.values(t), 0)) }), many([2]));
    expect(() => splitWideKernels(plan, MAX)).toThrow(LoomError);
    expect(() => splitWideKernels(plan, MAX)).toThrow(/reduction loop.*CPU backend/);
  });
});
