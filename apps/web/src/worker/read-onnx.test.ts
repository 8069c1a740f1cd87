import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import { initModel, mlp } from "@loom/models";
import { exportLayer } from "@loom/onnx";
import { hostTensor, predict } from "@loom/ops";
import { rng } from "@loom/testing";
import { readModelFile } from "./read-onnx";

const fixture = (f: string) =>
  readFileSync(new URL(`../../../../packages/onnx/src/import/fixtures/${f}`, import.meta.url));

describe("readModelFile with an .onnx file", () => {
  it("loads an exported MLP that classifies like the original layer", async () => {
    const backend = cpuBackend();
    const layer = mlp({});
    const vars = await initModel(backend, layer, 1, { shape: ["N", 1, 28, 28] });
    const read = readModelFile(exportLayer(layer, vars, [1, 28, 28]), "mlp.onnx");
    expect(read.config.model).toBe("onnx:loom");
    const next = rng(5);
    const x = hostTensor(
      Array.from({ length: 2 * 784 }, () => next()),
      [2, 1, 28, 28],
    );
    const want = await predict(layer, vars.params, vars.state, { backend })(x);
    const got = await predict(read.layer, read.state.params, read.state.state, { backend })(x);
    backend.dispose();
    expect(got.shape).toEqual([2, 10]);
    Array.from(got.data).forEach((v, i) => expect(v).toBeCloseTo(want.data[i]!, 5));
  });

  it("says a random or text file is not an ONNX model", () => {
    const next = rng(9);
    const junk = Uint8Array.from({ length: 300 }, () => Math.floor(next() * 256));
    expect(() => readModelFile(junk, "junk.onnx")).toThrow(/not an ONNX model/);
    const text = new TextEncoder().encode("a plain text file, not a model\n");
    expect(() => readModelFile(text, "notes.onnx")).toThrow(/not an ONNX model/);
  });

  it("says what input a model takes when it is not a 28x28 digit", () => {
    expect(() => readModelFile(fixture("view-flatten.onnx"), "small.onnx")).toThrow(
      /small\.onnx takes x as float32 \[batch,1,4,4\]; the digit panel gives float32 \[N,1,28,28\]/,
    );
  });
});
