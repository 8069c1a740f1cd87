import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { LoomError } from "../error";
import { fail } from "../error";
import { checkNoOverlap } from "../memory/check-no-overlap";
import { kernelReads } from "../memory/liveness";
import type { Plan } from "../plan";

const op = "validatePlan";

/** Left with the first message of a list of problems, else Right(plan). */
const firstProblem = (plan: Plan, problems: readonly (string | undefined)[]) => {
  const p = problems.find((m) => m !== undefined);
  return p === undefined ? E.right(plan) : fail<Plan>("invalid_graph", op, p);
};

/** Buffers are numbered 0..n-1 in order, and the named inputs and outputs exist (inputs are input buffers). */
const checkBuffers = (plan: Plan): E.Either<LoomError, Plan> =>
  firstProblem(plan, [
    ...plan.buffers.map((b, i) =>
      b.id === i ? undefined : `buffer at position ${i} has id ${b.id}; ids must be positions`,
    ),
    ...Object.entries(plan.inputs).map(([name, id]) =>
      plan.buffers[id]?.kind === "input"
        ? undefined
        : `input "${name}" names buffer ${id}, which is not an input buffer of the plan`,
    ),
    ...Object.entries(plan.outputs).map(([name, id]) =>
      plan.buffers[id] !== undefined
        ? undefined
        : `output "${name}" names buffer ${id}, which the plan does not have`,
    ),
  ]);

/**
 * Kernels reference existing buffers, write only temporaries, each temporary once, and read a
 * temporary only after the kernel that writes it; every temporary output is written.
 */
const checkKernels = (plan: Plan): E.Either<LoomError, Plan> => {
  const writtenAt = new Map(plan.kernels.map((k, t) => [k.out, t]));
  const kernelProblem = (t: number): string | undefined => {
    const k = plan.kernels[t]!;
    const out = plan.buffers[k.out];
    if (out === undefined)
      return `kernel ${t} writes buffer ${k.out}, which the plan does not have`;
    if (out.kind !== "temp") return `kernel ${t} writes ${out.kind} buffer ${k.out}`;
    if (writtenAt.get(k.out) !== t) return `buffer ${k.out} is written by two kernels`;
    const bad = kernelReads(k).find((b) => {
      const w = writtenAt.get(b);
      return plan.buffers[b] === undefined || (w !== undefined ? w >= t : false);
    });
    if (bad === undefined) return undefined;
    return plan.buffers[bad] === undefined
      ? `kernel ${t} reads buffer ${bad}, which the plan does not have`
      : `kernel ${t} reads buffer ${bad} before kernel ${writtenAt.get(bad)} writes it`;
  };
  const unwritten = (id: number): string | undefined =>
    plan.buffers[id]!.kind === "temp" && !writtenAt.has(id)
      ? `temporary buffer ${id} is never written by a kernel`
      : undefined;
  return firstProblem(plan, [
    ...plan.kernels.map((_, t) => kernelProblem(t)),
    ...Object.values(plan.outputs).map(unwritten),
  ]);
};

/**
 * Checks a plan's invariants between pipeline stages (tests and debug mode): buffers, inputs
 * and outputs exist, kernels read only what exists and is already written, and, once memory is
 * planned (`arenaBytes` set), no two live buffers share a byte (`checkNoOverlap`).
 */
export const validatePlan = (plan: Plan): E.Either<LoomError, Plan> =>
  pipe(
    checkBuffers(plan),
    E.chain(checkKernels),
    E.chain((p) => (p.arenaBytes === undefined ? E.right(p) : checkNoOverlap(p))),
  );
