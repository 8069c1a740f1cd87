/**
 * Times the float32 convolutions of the CPU kernel sets on the bench's shapes (LeNet-1/2, the
 * ResNet layer): the wasm kernels against the JS ones, min of several runs, in one process.
 * For the measurements of docs/ARCHITECTURE.md; not part of the tests.
 */
import type { Conv2dCall, LibraryCall, LibraryKind } from "@loom/graph";
import { kernelFor } from "../src/kernels/kernel";
import { makeFastKernels } from "../src/kernels/index";
import { kernelPool } from "../src/kernels/parallel";
import { convCases, geom, size } from "../src/testing/kernel-cases";
import { best } from "./best-of";

const shapes = {
  lenet1: geom({ n: 32, cg: 1, og: 6, hw: [28, 28], k: [5, 5], pad: [2, 2, 2, 2] }),
  lenet2: geom({ n: 32, cg: 6, og: 16, hw: [14, 14], k: [5, 5] }),
  resnet: geom({ n: 8, cg: 64, og: 64, hw: [56, 56], k: [3, 3], pad: [1, 1, 1, 1] }),
};
const pool = kernelPool();
const sets = {
  wasm: makeFastKernels({ threads: 1, pool }),
  js: makeFastKernels({ threads: 1, pool, wasm: false }),
};
const only = process.argv[2] ?? "";
for (const [name, g] of Object.entries(shapes)) {
  if (!name.includes(only)) continue;
  for (const c of convCases(g, "float32", 1)) {
    const inputs = c.inputs.map((x) => Float32Array.from(x));
    const out = new Float32Array(size(c.outShape));
    const [N, O, Ho, Wo] = (
      c.call.kind === "conv2d"
        ? c.outShape
        : c.inShapes[c.call.kind === "conv2d_grad_input" ? 0 : 1]
    ) as number[];
    const flops = 2 * N! * O! * Ho! * Wo! * g.cg * g.k[0] * g.k[1];
    const line = Object.entries(sets).map(([set, ks]) => {
      const kernel = kernelFor<LibraryKind>(ks, c.call.kind);
      const run = () =>
        kernel({
          inputs,
          inShapes: c.inShapes,
          out,
          outShape: c.outShape,
          call: c.call as LibraryCall & Conv2dCall,
        });
      const ms = best(name === "resnet" ? 3 : 20, run);
      return `${set} ${ms.toFixed(2)} ms (${(flops / ms / 1e6).toFixed(1)} GFLOP/s)`;
    });
    console.log(`${name} ${c.call.kind}: ${line.join(", ")}`);
  }
}
pool.close();
