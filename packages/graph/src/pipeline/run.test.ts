import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { makeGraph } from "../graph";
import type { Plan } from "../plan";
import { finalPlan, runPipeline } from "./run";
import type { Stage, StageRecord } from "./stage";
import { lowerStage, planPass } from "./stage";
import { validatePlan } from "./validate-plan";

const g = makeGraph({}, {});

/** x -> k0 -> t1 -> k1 -> y: two kernels over float32[4] buffers. */
const plan: Plan = {
  buffers: [
    { id: 0, shape: [4], dtype: "float32", kind: "input" },
    { id: 1, shape: [4], dtype: "float32", kind: "temp" },
    { id: 2, shape: [4], dtype: "float32", kind: "temp" },
  ],
  kernels: [
    {
      kind: "expr",
      out: 1,
      inputs: [0],
      shape: [4],
      expr: { kind: "const", value: 0, dtype: "float32" },
      nodes: [],
    },
    {
      kind: "expr",
      out: 2,
      inputs: [1],
      shape: [4],
      expr: { kind: "const", value: 0, dtype: "float32" },
      nodes: [],
    },
  ],
  inputs: { x: 0 },
  outputs: { y: 2 },
};

const same = (name: string): Stage => ({ name, run: (x) => E.right(x) });
const lower = lowerStage("lower", () => E.right(plan));
const reversed = planPass("reverse", (p) =>
  E.right({ plan: { ...p, kernels: [...p.kernels].reverse() } }),
);

describe("runPipeline", () => {
  it("runs graph passes, the lowering and plan passes in order, recording each and feeding the sink", () => {
    const seen: string[] = [];
    const r = runPipeline(
      [same("a"), same("b"), lower, planPass("p", (p) => E.right({ plan: p }))],
      g,
      {
        disable: ["b"],
        name: "f",
        sink: { stage: (s: StageRecord, run) => seen.push(`${run}:${s.kind}:${s.name}`) },
      },
    );
    expect(E.isRight(r) && r.right.stages.map((s) => s.name)).toEqual(["input", "a", "lower", "p"]);
    expect(seen).toEqual(["f:graph:input", "f:graph:a", "f:plan:lower", "f:plan:p"]);
    expect(E.isRight(r) && E.isRight(finalPlan(r.right))).toBe(true);
  });

  it("validates each stage's output only when asked, and stops at the first invalid one", () => {
    expect(E.isRight(runPipeline([lower, reversed], g))).toBe(true);
    const bad = runPipeline([lower, reversed, same("never")], g, { validate: true });
    expect(E.isLeft(bad) && bad.left.message).toMatch(
      /kernel 0 reads buffer 1 before kernel 1 writes it/,
    );
    const graphCheck = runPipeline(
      [same("a")],
      g,
      {
        validate: true,
      },
      { graph: () => E.left(new Error("no") as never) },
    );
    expect(E.isLeft(graphCheck)).toBe(true);
  });

  it("refuses a list out of order and a lowering named in disable", () => {
    const r = runPipeline([lower, same("late")], g);
    expect(E.isLeft(r) && r.left.message).toMatch(/order the list as \[graph passes/);
    const kept = runPipeline([lower], g, { disable: ["lower"] });
    expect(E.isRight(kept) && kept.right.stages.map((s) => s.name)).toEqual(["input", "lower"]);
    const noPlan = runPipeline([same("a")], g);
    expect(E.isRight(noPlan) && E.isLeft(finalPlan(noPlan.right))).toBe(true);
  });
});

describe("validatePlan", () => {
  it("accepts a sound plan and names what is wrong with a broken one", () => {
    expect(E.isRight(validatePlan(plan))).toBe(true);
    const msg = (p: Plan) => {
      const r = validatePlan(p);
      return E.isLeft(r) ? r.left.message : "valid";
    };
    expect(msg({ ...plan, outputs: { y: 7 } })).toMatch(/output "y" names buffer 7/);
    expect(msg({ ...plan, inputs: { x: 1 } })).toMatch(/not an input buffer/);
    expect(
      msg({ ...plan, kernels: [plan.kernels[0]!, { ...plan.kernels[1]!, inputs: [9] }] }),
    ).toMatch(/reads buffer 9, which the plan does not have/);
    expect(msg({ ...plan, kernels: [plan.kernels[0]!] })).toMatch(/buffer 2 is never written/);
    expect(msg({ ...plan, kernels: [plan.kernels[0]!, { ...plan.kernels[1]!, out: 1 }] })).toMatch(
      /written by two kernels/,
    );
    // Memory-planned: two live temporaries in the same bytes.
    const overlapping: Plan = {
      ...plan,
      buffers: [plan.buffers[0]!, { ...plan.buffers[1]!, slot: 0 }, plan.buffers[2]!],
      kernels: [...plan.kernels, { ...plan.kernels[1]!, out: 3, inputs: [1, 2] }],
      arenaBytes: 64,
    };
    const withFourth: Plan = {
      ...overlapping,
      buffers: [
        ...overlapping.buffers.slice(0, 2),
        { ...plan.buffers[2]!, slot: 0 },
        { id: 3, shape: [4], dtype: "float32", kind: "temp" },
      ],
      outputs: { y: 3 },
    };
    expect(msg(withFourth)).toMatch(/overlaps/);
  });
});
