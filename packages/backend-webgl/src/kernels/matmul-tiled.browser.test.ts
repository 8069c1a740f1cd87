import { afterAll, describe, expect, it } from "vitest";
import type { Tensor, TensorSpec, Tree } from "@loom/ops";
import { add, matmul, mul, relu, sum, transpose, valueAndGrad } from "@loom/ops";
import type { Feeds } from "@loom/testing";
import { compareWithCpu, randomFloat32 } from "@loom/testing";
import { webglBackend } from "../webgl-backend";
import { matmulTiled } from "./matmul-tiled";

// The register-tiled matmul (packed operands, 4x4 blocks per fragment, four render targets)
// against the CPU backend, forced on small and ragged shapes (every dim off the 4-blocks),
// batched, in every transposition variant, with epilogues and inside gradients.

const tiled = webglBackend({ tiling: "always" });
afterAll(() => tiled.dispose());

type Fn = (t: Record<string, Tensor>) => Record<string, Tensor>;
const spec = (...shape: number[]): TensorSpec => ({ shape });
const feedsOf = (specs: Record<string, TensorSpec>): Feeds =>
  Object.fromEntries(
    Object.entries(specs).map(([k, s], i) => [k, randomFloat32(s.shape as number[], 7 + i)]),
  );
const check = (fn: Fn, specs: Record<string, TensorSpec>) =>
  compareWithCpu(tiled, fn as never, specs as Tree<TensorSpec>, feedsOf(specs), { rtol: 1e-5 });

const LIMITS = { maxSize: 4096, maxSamplers: 16, mode: "always" } as const;

describe("tiled matmul", () => {
  it.each([
    [
      [1, 1],
      [1, 1],
    ],
    [
      [3, 5],
      [5, 4],
    ],
    [
      [5, 9],
      [9, 7],
    ],
    [
      [33, 70],
      [70, 129],
    ],
    [
      [2, 3, 4, 5],
      [2, 3, 5, 6],
    ],
    [
      [3, 17, 6],
      [3, 6, 2],
    ],
  ])("%j x %j", async (sa, sb) => {
    const call = { kind: "matmul", transA: false, transB: false } as const;
    const out = [...sa.slice(0, -1), sb.at(-1)!];
    const inputs = [sa, sb].map(() => ({
      dtype: "float32" as const,
      layout: { n: 1, width: 1, height: 1 },
    }));
    const args = { inShapes: [sa, sb], outShape: out, call, inputs, frameUnits: 2 };
    expect(matmulTiled({ ...args, limits: LIMITS })).toBeDefined();
    expect(matmulTiled({ ...args, limits: { ...LIMITS, mode: "never" } })).toBeUndefined();
    const specs = { a: spec(...sa), b: spec(...sb) };
    expect(await check(({ a, b }) => ({ y: matmul(a!, b!) }), specs)).toBeUndefined();
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])("transA=%s transB=%s", async (ta, tb) => {
    const fn: Fn = ({ a, b }) => ({
      y: matmul(ta ? transpose(a!, [0, 2, 1]) : a!, tb ? transpose(b!, [0, 2, 1]) : b!),
    });
    const specs = {
      a: spec(2, ...(ta ? [11, 6] : [6, 11])),
      b: spec(2, ...(tb ? [9, 11] : [11, 9])),
    };
    expect(await check(fn, specs)).toBeUndefined();
  });

  it("a dense layer with its bias and activation as epilogue, and its gradients", async () => {
    const fn: Fn = ({ x, w, b }) => {
      const f = (p: { w: Tensor; b: Tensor }) =>
        sum(mul(relu(add(matmul(x!, transpose(p.w)), p.b)), 0.5));
      const { value, grad } = valueAndGrad(f)({ w: w!, b: b! });
      return { value, ...(grad as unknown as Record<string, Tensor>) };
    };
    expect(await check(fn, { x: spec(13, 21), w: spec(10, 21), b: spec(10) })).toBeUndefined();
  });
});
