import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { hostTensor } from "@loom/ops";
import { writeTorchStateDict } from "@loom/models";
import { writeModel } from "@loom/onnx";
import { expectUsageError, lastJson, loom } from "../testing/run-loom";

const dir = mkdtempSync(join(tmpdir(), "loom-onnx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const w = Array.from({ length: 10 * 784 }, (_, i) => Math.sin(i) / 8);
const b = Array.from({ length: 10 }, (_, i) => i / 10 - 0.5);

describe("loom export and loom import", () => {
  it("exports a checkpoint that onnxruntime runs as x W^T + b, and imports it back", async () => {
    const torchFile = join(dir, "p.safetensors");
    writeFileSync(
      torchFile,
      writeTorchStateDict({
        "1.weight": hostTensor(w, [10, 784]),
        "1.bias": hostTensor(b, [10]),
      }),
    );
    const ck = join(dir, "p.loom.safetensors");
    expect(
      (
        await loom(
          "convert",
          "--from",
          "torch",
          "-c",
          torchFile,
          "--model",
          "perceptron",
          "--out",
          ck,
        )
      ).code,
    ).toBe(0);
    const onnxFile = join(dir, "p.onnx");
    const ex = await loom("export", "--checkpoint", ck, "--out", onnxFile);
    expect(ex.err).toBe("");
    expect(ex.out).toContain(`-> ${onnxFile} (ONNX opset 13, input x [N,1,28,28]`);

    // The reference is the perceptron's definition, computed here in plain JS.
    const x = Float32Array.from({ length: 3 * 784 }, (_, i) => Math.cos(i * 0.37));
    const session = await ort.InferenceSession.create(readFileSync(onnxFile));
    const y = (await session.run({ x: new ort.Tensor("float32", x, [3, 1, 28, 28]) }))["logits"]!;
    expect(y.dims).toEqual([3, 10]);
    for (let n = 0; n < 3; n++)
      for (let k = 0; k < 10; k++) {
        let acc = b[k]!;
        for (let i = 0; i < 784; i++) acc += x[n * 784 + i]! * Math.fround(w[k * 784 + i]!);
        expect((y.data as Float32Array)[n * 10 + k]).toBeCloseTo(acc, 4);
      }

    const im = await loom("import", onnxFile, "--json");
    expect(im.code).toBe(0);
    const summary = lastJson<{
      inputs: unknown;
      outputs: unknown;
      parameters: number;
      ops: Record<string, number>;
    }>(im.out);
    expect(summary.inputs).toEqual({ x: "[N,1,28,28]" });
    expect(summary.outputs).toEqual(["logits"]);
    expect(summary.parameters).toBe(7850);
    expect(summary.ops["MatMul"]).toBe(1);
  });

  it("refuses a model with unsupported ops, naming every such node, with exit code 2", async () => {
    const file = join(dir, "bad.onnx");
    writeFileSync(
      file,
      writeModel({
        irVersion: 7,
        opsetImport: [{ domain: "", version: 13 }],
        graph: {
          name: "bad",
          node: [
            { name: "first", opType: "Relu", input: ["x"], output: ["r"] },
            { name: "second", opType: "NonZero", input: ["r"], output: ["z"] },
            { name: "third", opType: "TopK", input: ["z"], output: ["y"] },
          ],
          input: [
            { name: "x", type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }] } } } },
          ],
          output: [{ name: "y" }],
        },
      }),
    );
    expectUsageError(await loom("import", file), /NonZero \(node second\).*TopK \(node third\)/);
  });
});
