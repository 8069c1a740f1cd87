import { describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import { printDot, printText, toJson } from "@loom/graph";
import type { Tensor } from "./core";
import { compile, trace } from "./compile";
import { hostTensor } from "./host";
import { add, mul } from "./api/elementwise";
import { sum } from "./api/reduce";
import { grad } from "./autodiff";
import { planGraph } from "./pipeline";

/** `n` ops alternating `y * -1` and `y + 0.5`: every pair maps y to 0.5 - y, so 2k ops give x (k even). */
const chain = (x: Tensor, n: number): Tensor => {
  let y = x;
  for (let i = 0; i < n; i++) y = i % 2 === 0 ? mul(y, -1) : add(y, 0.5);
  return y;
};

/** The same chain on the host, in float32 steps. */
const hostChain = (x: number, n: number): number => {
  let y = Math.fround(x);
  for (let i = 0; i < n; i++) y = Math.fround(i % 2 === 0 ? -y : y + 0.5);
  return y;
};

describe("long elementwise chains", () => {
  // Before: an 800-op chain threw a RangeError from `new Function` in the CPU backend's
  // codegen, and 2000 ops overflowed the stack in lowering.
  it.each([800, 2002, 20_000])("a %i-op chain compiles, splits and runs", async (n) => {
    const backend = cpuBackend();
    const fn = ({ x }: { x: Tensor }) => ({ y: chain(x, n) });
    const specs = { x: { shape: [4] } };
    // Split by the fusion size budget (planning twice doubles the time of the longest case).
    if (n < 10_000)
      expect(planGraph(trace(fn, specs).graph, {}, {}).kernels.length).toBeGreaterThan(1);
    const c = compile(backend, fn, specs);
    const xs = [1, 2.25, -3, 0.125];
    const y = await c.run({ x: hostTensor(xs, [4]) });
    expect(Array.from(y.y.data)).toEqual(xs.map((v) => hostChain(v, n)));
    backend.dispose();
  });

  it("a 4000-op chain differentiates and runs", async () => {
    const backend = cpuBackend();
    const f = (x: Tensor) => sum(chain(x, 4000));
    const c = compile(backend, ({ x }: { x: Tensor }) => ({ g: grad(f)(x) }), {
      x: { shape: [3] },
    });
    const g = await c.run({ x: hostTensor([1, 2, 3], [3]) });
    // 2000 negations: the derivative is +1 everywhere.
    expect(Array.from(g.g.data)).toEqual([1, 1, 1]);
    backend.dispose();
  });

  it("printers handle a 20,000-op graph", () => {
    const { graph } = trace(({ x }: { x: Tensor }) => ({ y: chain(x, 20_000) }), {
      x: { shape: [2] },
    });
    expect(printText(graph).split("\n").length).toBeGreaterThan(20_000);
    expect(printDot(graph).length).toBeGreaterThan(0);
    expect(toJson(graph).nodes.length).toBeGreaterThan(20_000);
  });
});
