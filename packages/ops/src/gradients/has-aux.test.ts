import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Tensor } from "../index";
import {
  broadcastTo,
  compile,
  hostTensor,
  scalar,
  input,
  mean,
  mul,
  sum,
  valueAndGrad,
  valueAndGradWithAux,
  vjp,
} from "../index";

// Before: neither vjp nor valueAndGrad took `hasAux` (JAX's has_aux); only a separate
// valueAndGradWithAux with an `{ loss, aux }` result existed.

const cpu = cpuBackend();
const X = hostTensor([1, -2, 3], [3], "float64");

describe("hasAux (JAX's has_aux) on vjp and valueAndGrad", () => {
  it("valueAndGrad(f, { hasAux: true }) returns the value, the gradient and the undifferentiated aux", async () => {
    // f(x) = sum(x^2), aux = { m: mean(x), twice: 2x }: grad 2x; aux unaffected by the gradient.
    const exe = compile(
      cpu,
      ({ x }: { x: Tensor }) => {
        const r = valueAndGrad(
          (v: Tensor) => [sum(mul(v, v)), { m: mean(v), twice: mul(v, 2) }] as const,
          {
            hasAux: true,
          },
        )(x);
        return { value: r.value, grad: r.grad, m: r.aux.m, twice: r.aux.twice };
      },
      { x: { shape: [3], dtype: "float64" } },
    );
    const out = (await exe.run({ x: X })) as Record<string, HostTensor>;
    expect([...out["value"]!.data]).toEqual([14]);
    expect([...out["grad"]!.data]).toEqual([2, -4, 6]);
    expect([...out["m"]!.data]).toEqual([2 / 3]);
    expect([...out["twice"]!.data]).toEqual([2, -4, 6]);
  });

  it("argnum and hasAux together; the old valueAndGradWithAux gives the same graph values", async () => {
    const f = (a: Tensor, b: Tensor) => [sum(mul(a, b)), [mul(a, 3)]] as const;
    const exe = compile(
      cpu,
      ({ a, b }: { a: Tensor; b: Tensor }) => {
        const r = valueAndGrad(f, { argnum: 1, hasAux: true })(a, b);
        const old = valueAndGradWithAux(
          (p: Tensor, q: Tensor) => ({ loss: f(p, q)[0], aux: f(p, q)[1] }),
          1,
        )(a, b);
        return { grad: r.grad, aux: r.aux[0]!, oldGrad: old.grad, oldAux: old.aux[0]! };
      },
      { a: { shape: [3], dtype: "float64" }, b: { shape: [3], dtype: "float64" } },
    );
    const out = (await exe.run({ a: X, b: hostTensor([4, 5, 6], [3], "float64") })) as Record<
      string,
      HostTensor
    >;
    expect([...out["grad"]!.data]).toEqual([1, -2, 3]);
    expect([...out["aux"]!.data]).toEqual([3, -6, 9]);
    expect(out["oldGrad"]).toEqual(out["grad"]);
    expect(out["oldAux"]).toEqual(out["aux"]);
  });

  it("vjp(f, x, { hasAux: true }) returns out, pullback and aux", async () => {
    const exe = compile(
      cpu,
      ({ x }: { x: Tensor }) => {
        const { out, pullback, aux } = vjp((v: Tensor) => [mul(v, v), sum(v)] as const, x, {
          hasAux: true,
        });
        return { out, ct: pullback(broadcastTo(scalar(1, "float64"), out.shape)), aux };
      },
      { x: { shape: [3], dtype: "float64" } },
    );
    const out = (await exe.run({ x: X })) as Record<string, HostTensor>;
    expect([...out["out"]!.data]).toEqual([1, 4, 9]);
    expect([...out["ct"]!.data]).toEqual([2, -4, 6]);
    expect([...out["aux"]!.data]).toEqual([2]);
  });

  it("refuses a result that is no pair, a non-tensor aux and unknown options", () => {
    const x = input("x", [3], "float64");
    expect(() => valueAndGrad((v: Tensor) => sum(v) as never, { hasAux: true })(x)).toThrow(
      /pair \[value, aux\]/,
    );
    expect(() =>
      valueAndGrad((v: Tensor) => [sum(v), { n: 3 }] as never, { hasAux: true })(x),
    ).toThrow(LoomError);
    expect(() => valueAndGrad((v: Tensor) => sum(v), { has_aux: true } as never)(x)).toThrow(
      /unknown option "has_aux"/,
    );
  });
});
