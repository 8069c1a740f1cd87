import * as ort from "onnxruntime-node";
import { exportLayer } from "@loom/onnx";
import type { BenchCase, Impl } from "./cases";
import { dataOf, forwardModel } from "./cases";

/**
 * onnxruntime-node (its CPU execution provider, native code) as a peer on the forward cases:
 * it runs the very model loom runs, exported by `@loom/onnx` with the same variables, so loom
 * is measured against a native engine too.
 */
export const ortImpl = (): Impl => ({
  name: "onnxruntime-node",
  side: "peer",
  skip: (c: BenchCase) => (c.spec.kind === "forward" ? undefined : "runs the forward cases only"),
  timing: (t) => t,
  prepare: async (c, data) => {
    const s = c.spec;
    if (s.kind !== "forward") throw new Error(`bench: onnxruntime-node does not run ${s.kind}`);
    const d = dataOf(data, "forward");
    const bytes = exportLayer(forwardModel(s), d.vars, s.input, { batch: s.batch });
    const session = await ort.InferenceSession.create(bytes);
    const x = new ort.Tensor("float32", d.x, [s.batch, ...s.input]);
    return {
      run: async () => void (await session.run({ x })),
      dispose: () => void session.release(),
    };
  },
});
