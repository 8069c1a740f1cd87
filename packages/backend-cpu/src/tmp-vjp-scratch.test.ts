import { expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import type { Tensor, Tree } from "@loom/ops";
import { compile, hostTensor, prim, primitives } from "@loom/ops";
import { referenceBackend } from "./interpreter";

const vj = async (op: string, xs: number[][], ct: number[]) => {
  const n = ct.length;
  const specs = [...xs, ct].map(() => ({ shape: [n], dtype: "float64" as const }));
  const c = compile(referenceBackend(), (ins: Tree<Tensor>) => {
    const all = ins as Tensor[];
    const inputs = all.slice(0, xs.length);
    const out = prim(op as never, inputs);
    return primitives[op as "neg"].vjp({ inputs, out, ct: all[xs.length]!, attrs: {} }) as Tensor[];
  }, specs);
  const res = (await c.run([...xs, ct].map((v) => hostTensor(v, [n], "float64")))) as HostTensor[];
  return res.map((r) => Array.from(r.data));
};
it("edges", async () => {
  expect(await vj("pow", [[0, 0, -2, 2], [2, 0, 2, 0.5]], [1, 1, 1, 1])).toEqual([]);
  expect(await vj("maximum", [[0, 1, 2], [0, 2, 1]], [1, 1, 1])).toEqual([]);
  expect(await vj("minimum", [[0, 1, 2], [0, 2, 1]], [1, 1, 1])).toEqual([]);
  expect(await vj("abs", [[0, -1, 2]], [1, 1, 1])).toEqual([]);
});
