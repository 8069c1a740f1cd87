import { afterAll, expect, it } from "vitest";
import type { Tensor, TensorSpec, Tree } from "@loom/ops";
import { matmul, max, mean, mul, relu, sum } from "@loom/ops";
import { compareWithCpu, randomFloat32 } from "@loom/testing";
import { webglBackend } from "./webgl-backend";

// A [70000, 64] tensor has more rows than a texture may have (MAX_TEXTURE_SIZE is 8192 on
// SwiftShader): elementwise kernels see it as 4.48M elements in rows of 4096 texels, and the
// tiled matmul folds its 70000 packed rows into bands. Reductions over the 70000 rows (and
// over all 4.48M elements) run as partial reductions of at most MAX_REDUCE elements combined
// by a second pass (split-reduce.ts; 70000 = 17 chunks of 4096 and a ragged one). Both
// against the CPU backend.

const gl = webglBackend();
afterAll(() => gl.dispose());

it("a [70000, 64] tensor: elementwise, column sum, max and mean, a total and a matmul", async () => {
  const specs = { x: { shape: [70000, 64] }, w: { shape: [64, 8] } };
  const fn = ({ x, w }: Record<string, Tensor>) => ({
    y: relu(mul(x!, 2)),
    s: sum(x!, 0),
    m: max(x!, 0),
    a: mean(mul(x!, x!), 0),
    t: sum(x!),
    z: matmul(x!, w!),
  });
  const feeds = { x: randomFloat32([70000, 64], 1), w: randomFloat32([64, 8], 2) };
  expect(
    await compareWithCpu(gl, fn as never, specs as Tree<TensorSpec>, feeds, { rtol: 1e-5 }),
  ).toBeUndefined();
});
