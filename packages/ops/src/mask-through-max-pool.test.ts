import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Graph, HostTensor } from "@loom/graph";
import { numel, simplify, topoOrder } from "@loom/graph";
import type { Tensor } from "./index";
import {
  add,
  compile,
  grad,
  hostTensor,
  inspectPipeline,
  iota,
  reshape,
  maxPool2d,
  mul,
  primitives,
  referenceStages,
  relu,
  sum,
  trace,
} from "./index";
import { cpuBackend } from "@loom/backend-cpu";
import { referenceBackend } from "@loom/backend-cpu";

// simplify moves a ReLU's mask through the max-pooling gradient (select(y > 0, mpg(y, g), 0)
// -> mpg(y, select(maxpool(y) > 0, g, 0))). The gradient of sum(w * maxpool(relu(x))) must
// stay bit-identical: against the unsimplified graph on the reference interpreter, and on the
// optimising CPU backend, where the pooling gradient then writes over the ReLU output.

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]));

const caseArb = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 2, max: 7 }),
    w: fc.integer({ min: 2, max: 7 }),
    k: fc.integer({ min: 1, max: 3 }),
    s: fc.integer({ min: 1, max: 3 }),
    pad: fc.boolean(),
    // Few distinct values, many zeros and negatives: ties and all-negative windows are common.
    values: fc.array(fc.constantFrom(-2, -1, -0, 0, 0, 0.5, 1, 1, 3), {
      minLength: 1,
      maxLength: 16,
    }),
  })
  .filter(({ h, w, k }) => k <= h && k <= w);

describe("a ReLU mask moved through max_pool2d_grad", () => {
  it("keeps the gradient bit-identical, unsimplified vs simplified vs optimised", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ n, c, h, w, k, s, pad, values }) => {
        const padding = pad && k > 1 ? Math.floor(k / 2) : 0;
        const f = ({ x, g }: { x: Tensor; g: Tensor }) => {
          const pooled = (t: Tensor) =>
            sum(mul(maxPool2d(relu(t), { kernel: k, stride: s, padding }), g));
          return { dx: grad(pooled)(x) };
        };
        const xShape = [n, c, h, w];
        const ho = Math.floor((h + 2 * padding - k) / s) + 1;
        const wo = Math.floor((w + 2 * padding - k) / s) + 1;
        const gShape = [n, c, ho, wo];
        const specs = { x: { shape: xShape }, g: { shape: gShape } };
        const x = hostTensor(
          Array.from({ length: numel(xShape) }, (_, i) => values[i % values.length]!),
          xShape,
        );
        const g = hostTensor(
          Array.from({ length: numel(gShape) }, (_, i) => ((i * 7) % 5) - 2.5),
          gShape,
        );
        let after: Graph | undefined;
        const plain = compile(referenceBackend(), f, specs);
        const simplified = compile(referenceBackend(), f, specs, {
          stages: [simplify(primitives), ...referenceStages()],
          sink: {
            stage: (st) => {
              if (st.kind === "graph" && st.name === "simplify") after = st.graph;
            },
          },
        });
        const optimised = compile(cpuBackend(), f, specs);
        const want = ((await plain.run({ x, g })) as { dx: HostTensor }).dx.data;
        const got1 = ((await simplified.run({ x, g })) as { dx: HostTensor }).dx.data;
        const got2 = ((await optimised.run({ x, g })) as { dx: HostTensor }).dx.data;
        expect(sameBits(got1, want)).toBe(true);
        expect(sameBits(got2, want)).toBe(true);
        // The rewrite fired: the pooling gradient's cotangent is the masked one.
        const mpg = topoOrder(after!).filter((m) => m.op === "max_pool2d_grad");
        expect(mpg).toHaveLength(1);
        expect(mpg[0]!.inputs[1]!.op).toBe("select");
        // ... and where dx is a temporary (outputs live outside the arena), the pooling
        // gradient writes over the ReLU output it reads.
        const energyFn = ({ x, g }: { x: Tensor; g: Tensor }) => {
          const dx = f({ x, g }).dx;
          // Weighted by position, so a gradient sent to the wrong element changes e.
          const at = iota([numel(xShape)], 0, "float32");
          return { e: sum(mul(dx, reshape(add(at, 1), xShape))) };
        };
        const { planned } = inspectPipeline(trace(energyFn, specs).graph, {});
        const pool = planned.kernels.find(
          (q) => q.kind === "library" && q.call.kind === "max_pool2d_grad",
        )!;
        expect(planned.buffers[pool.out]!.slot).toBe(planned.buffers[pool.inputs[0]!]!.slot);
        const e = async (b: ReturnType<typeof cpuBackend>) =>
          ((await compile(b, energyFn, specs).run({ x, g })) as { e: HostTensor }).e.data;
        expect(sameBits(await e(cpuBackend()), await e(referenceBackend()))).toBe(true);
      }),
      { numRuns: 120 },
    );
  });
});
