import { describe, expect, it } from "vitest";
import { add, compile, exp, hostTensor, matmul, sum, grad, relu } from "@loom/ops";
import { referenceBackend } from "./interpreter";
import { checkVjp, randomTensor, rng } from "./testing/grad-check";

describe("smoke", () => {
  it("runs add with broadcasting", async () => {
    const f = compile(referenceBackend(), ({ x, y }) => ({ z: add(x, y) }), { x: { shape: [2, 3] }, y: { shape: [3] } });
    const out = await f.run({ x: hostTensor([1, 2, 3, 4, 5, 6], [2, 3]), y: hostTensor([10, 20, 30], [3]) });
    expect(Array.from(out.z.data)).toEqual([11, 22, 33, 14, 25, 36]);
  });
  it("grad of sum(exp(x))", async () => {
    const f = compile(referenceBackend(), ({ x }) => ({ g: grad((v) => sum(exp(v)))(x) }), { x: { shape: [3] } });
    const out = await f.run({ x: hostTensor([0, 1, 2], [3]) });
    expect(Array.from(out.g.data)).toEqual([1, Math.E, Math.E ** 2].map(Math.fround));
  });
  it("vjp check of an mlp", async () => {
    const next = rng(3);
    const r = await checkVjp(([x, w]) => relu(matmul(x!, w!)), [randomTensor([4, 5], next), randomTensor([5, 3], next)]);
    expect(r.analytic).toBeCloseTo(r.numeric, 6);
  });
});
