import { describe, expect, it } from "vitest";
import type { Tensor } from "@loom/ops";
import { planGraph, sum, trace } from "@loom/ops";
import { glslOfPlan } from "./kernel-source";
import { MAX_REDUCE } from "./split-reduce";

// The generator side of split reductions (sizes.browser.test.ts runs them against the CPU):
// no loop of any shader runs more than MAX_REDUCE times.

const loopBounds = (source: string): number[] =>
  [...source.matchAll(/for \(int \w+ = 0; \w+ < (\d+);/g)].map((m) => Number(m[1]));

const shaders = (shape: number[], axes?: number[]) =>
  glslOfPlan(
    planGraph(
      trace((t: Record<string, Tensor>) => ({ s: sum(t["x"]!, axes) }), { x: { shape } }).graph,
      {},
      { inPlace: false },
    ),
  );

describe("split reductions", () => {
  it("sums 70000 rows as 18 partial sums of at most 4096 rows", () => {
    const [src] = shaders([70000, 64], [0]);
    expect(src).toBeDefined();
    expect(loopBounds(src!)).toEqual([4096, 18]);
  });

  it("sums 4.48M elements with no loop over MAX_REDUCE", () => {
    const bounds = shaders([70000, 64]).flatMap(loopBounds);
    expect(Math.max(...bounds)).toBeLessThanOrEqual(MAX_REDUCE);
  });

  it("leaves short reductions in one pass", () => {
    const [src] = shaders([64, 100], [0]);
    expect(loopBounds(src!)).toEqual([64]);
  });
});
