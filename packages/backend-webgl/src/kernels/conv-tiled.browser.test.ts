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

// The window-gather GEMM (conv-gather.ts) packs 99 input and 101 output channels into 25 and
// 26 quads: 25 taps x 25 (26) quads are more steps than a fragment may loop, so both the
// forward convolution and the input gradient split the quads into partial products (the
// input gradient's 26 quads unevenly), and the stride-2 case gathers through the holes of
// the dilated output gradient.
it.each([
  ["LeNet-1", [64, 1, 28, 28], [6, 1, 5, 5], { padding: "same" }, [28, 28]],
  ["LeNet-2", [64, 6, 14, 14], [16, 6, 5, 5], {}, [10, 10]],
  ["99 -> 101 channels, 5x5", [2, 99, 6, 7], [101, 99, 5, 5], { padding: 2 }, [6, 7]],
  [
    "stride 2, dilation 2",
    [8, 5, 11, 10],
    [7, 5, 3, 3],
    { stride: 2, dilation: 2, padding: [1, 2, 0, 3] },
    [5, 5],
  ],
] as const)("%s: the convolution and both its gradients", async (_, xs, ws, opts, hw) => {
  const o = opts as Conv2dOptions;
  const y = (x: Tensor, w: Tensor) => conv2d(x, w, o);
  const out = [xs[0], ws[0], ...hw];
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
