import { afterAll, expect, it } from "vitest";
import type { Conv2dOptions, Tensor, TensorSpec, Tree } from "@loom/ops";
import { conv2d, mul, sum, valueAndGrad } from "@loom/ops";
import { compareWithCpu, randomFloat32 } from "@loom/testing";
import { webglBackend } from "../webgl-backend";

// The convolutions as tiled GEMMs at LeNet-5's sizes (batch 64), against the CPU backend:
// 50176 output positions are more GEMM rows (and 12544 product blocks more rows) than a
// texture holds, so both are folded into bands, and the filter gradient's reduction over
// 50176 positions is split into partial products.

const gl = webglBackend();
afterAll(() => gl.dispose());

it.each([
  ["LeNet-1", [64, 1, 28, 28], [6, 1, 5, 5], { padding: "same" }],
  ["LeNet-2", [64, 6, 14, 14], [16, 6, 5, 5], {}],
] as const)("%s's convolution at batch 64 and both its gradients", async (_, xs, ws, opts) => {
  const o = opts as Conv2dOptions;
  const y = (x: Tensor, w: Tensor) => conv2d(x, w, o);
  const out = [xs[0], ws[0], ...(o.padding === "same" ? [28, 28] : [10, 10])];
  const specs = { x: { shape: [...xs] }, w: { shape: [...ws] }, r: { shape: out } };
  const fn = ({ x, w, r }: Record<string, Tensor>) => {
    const f = (p: { x: Tensor; w: Tensor }) => sum(mul(y(p.x, p.w), r!));
    const grads = valueAndGrad(f)({ x: x!, w: w! }).grad as unknown as Record<string, Tensor>;
    return { y: y(x!, w!), ...grads };
  };
  const feeds = Object.fromEntries(
    Object.entries(specs).map(([k, s], i) => [k, randomFloat32(s.shape, 11 + i)]),
  );
  expect(
    await compareWithCpu(gl, fn as never, specs as Tree<TensorSpec>, feeds, { rtol: 1e-5 }),
  ).toBeUndefined();
});
