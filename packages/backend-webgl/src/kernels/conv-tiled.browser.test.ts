import { afterAll, expect, it } from "vitest";
import type { Tensor, TensorSpec, Tree } from "@loom/ops";
import { conv2d, mul, sum, valueAndGrad } from "@loom/ops";
import { compareWithCpu, randomFloat32 } from "@loom/testing";
import { webglBackend } from "../webgl-backend";

// The convolutions as tiled GEMMs at LeNet-1's size, against the CPU backend: 25088 output
// positions are more GEMM rows than a texture holds (folded into bands), and the filter
// gradient's reduction over 25088 positions is split into partial products.

const gl = webglBackend();
afterAll(() => gl.dispose());

it("LeNet-1's convolution at batch 32 and both its gradients", async () => {
  const specs = {
    x: { shape: [32, 1, 28, 28] },
    w: { shape: [6, 1, 5, 5] },
    r: { shape: [32, 6, 28, 28] },
  };
  const fn = ({ x, w, r }: Record<string, Tensor>) => {
    const f = (p: { x: Tensor; w: Tensor }) => sum(mul(conv2d(p.x, p.w, { padding: "same" }), r!));
    return {
      y: conv2d(x!, w!, { padding: "same" }),
      ...(valueAndGrad(f)({ x: x!, w: w! }).grad as unknown as Record<string, Tensor>),
    };
  };
  const feeds = Object.fromEntries(
    Object.entries(specs).map(([k, s], i) => [k, randomFloat32(s.shape, 11 + i)]),
  );
  expect(
    await compareWithCpu(gl, fn as never, specs as Tree<TensorSpec>, feeds, { rtol: 1e-5 }),
  ).toBeUndefined();
});
