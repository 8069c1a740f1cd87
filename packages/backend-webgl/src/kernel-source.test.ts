import { describe, expect, it } from "vitest";
import type { Tensor } from "@loom/ops";
import { add, exp, matmul, planGraph, relu, sum, trace } from "@loom/ops";
import { glslOfPlan } from "./kernel-source";

const EVIL = 'x"; discard; //';

describe("glslOfPlan", () => {
  const plan = planGraph(
    trace(
      (t: Record<string, Tensor>) => ({
        y: relu(add(matmul(t[EVIL]!, t["w"]!), 1)),
        s: sum(exp(t[EVIL]!), [1]),
      }),
      { [EVIL]: { shape: [3, 4] }, w: { shape: [4, 5] } },
    ).graph,
    {},
    { inPlace: false },
  );
  const sources = glslOfPlan(plan);

  it("renders one complete shader per kernel", () => {
    expect(sources).toHaveLength(plan.kernels.length);
    for (const s of sources) {
      expect(s.startsWith("#version 300 es\n")).toBe(true);
      expect(s).toMatch(/void main\(\) \{[\s\S]*\n {2}o = [^;]+;\n\}$/);
    }
  });

  it("holds no graph names, only numbers and generated identifiers", () => {
    for (const s of sources) {
      expect(s).not.toContain("discard");
      expect(s).not.toContain(EVIL);
    }
  });

  it("inlines the epilogue after the library function", () => {
    const mm = sources.find((s) => s.includes("float lib(int pos)"))!;
    expect(mm).toContain("float acc = lib(pos);");
    expect(mm).toContain("l_max(");
  });
});
