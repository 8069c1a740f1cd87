import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import { LoomError } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import { hostTensor, isHostTensor, mapTree, predict } from "@loom/ops";
import { assertVjp, rng } from "@loom/testing";
import type { ModelProto, NodeProto, TensorProto, ValueInfoProto } from "../proto";
import { protoFromHost, writeModel } from "../proto";
import { asLayer } from "./as-layer";
import { importOnnx } from "./import-model";

const floatInput = (name: string, dims: (number | string)[]): ValueInfoProto => ({
  name,
  type: {
    tensorType: {
      elemType: 1,
      shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

const modelOf = (
  nodes: NodeProto[],
  inits: TensorProto[],
  inputs: ValueInfoProto[],
  outputs: string[],
): Uint8Array => {
  const m: ModelProto = {
    irVersion: 7,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "t",
      node: nodes,
      initializer: inits,
      input: inputs,
      output: outputs.map((o) => ({ name: o })),
    },
  };
  return writeModel(m);
};

const next = rng(3);
const values = (n: number) => Array.from({ length: n }, () => next() - 0.5);

// conv(x, w) + b -> relu -> flatten -> gemm(., fc.weight^T) + fc.bias -> softmax
const smallNet = () =>
  modelOf(
    [
      {
        name: "conv",
        opType: "Conv",
        input: ["x", "conv.weight", "conv.bias"],
        output: ["c"],
        attribute: [{ name: "pads", type: 7, ints: [1, 1, 1, 1] }],
      },
      { name: "act", opType: "Relu", input: ["c"], output: ["r"] },
      { name: "flat", opType: "Flatten", input: ["r"], output: ["f"] },
      {
        name: "fc",
        opType: "Gemm",
        input: ["f", "fc.weight", "fc.bias"],
        output: ["z"],
        attribute: [{ name: "transB", type: 2, i: 1 }],
      },
      { name: "prob", opType: "Softmax", input: ["z"], output: ["y"] },
    ],
    [
      protoFromHost("conv.weight", hostTensor(values(2 * 1 * 3 * 3), [2, 1, 3, 3])),
      protoFromHost("conv.bias", hostTensor(values(2), [2])),
      protoFromHost("fc.weight", hostTensor(values(3 * 2 * 4 * 4), [3, 32])),
      protoFromHost("fc.bias", hostTensor(values(3), [3])),
    ],
    [floatInput("x", ["N", 1, 4, 4])],
    ["y"],
  );

describe("importOnnx", () => {
  it("names every unsupported node in one LoomError, before anything is built", () => {
    const bytes = modelOf(
      [
        { name: "a", opType: "Relu", input: ["x"], output: ["r"] },
        { name: "b", opType: "Frobnicate", input: ["r"], output: ["s"] },
        { name: "c", opType: "LSTM", input: ["s"], output: ["y"] },
      ],
      [],
      [floatInput("x", [2])],
      ["y"],
    );
    let caught: unknown;
    try {
      importOnnx(bytes);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LoomError);
    const err = caught as LoomError;
    expect(err.code).toBe("unsupported");
    expect(err.message).toMatch(/Frobnicate \(node b\)/);
    expect(err.message).toMatch(/LSTM \(node c\)/);
    expect(err.message).not.toMatch(/Relu \(node a\)/);
  });

  it("nests float initializers into a parameter tree by their dots and keeps named dims", () => {
    const m = importOnnx(smallNet());
    expect(Object.keys(m.params as object)).toEqual(["conv", "fc"]);
    expect(mapTree(m.params, isHostTensor, (h) => h.shape)).toEqual({
      conv: { weight: [2, 1, 3, 3], bias: [2] },
      fc: { weight: [3, 32], bias: [3] },
    });
    expect(m.inputs["x"]!.shape).toEqual(["N", 1, 4, 4]);
    expect(m.outputs).toEqual(["y"]);
  });

  it("is differentiable: gradients of params and input match finite differences", async () => {
    const m = importOnnx(smallNet());
    const leaves = ["conv.weight", "conv.bias", "fc.weight", "fc.bias"] as const;
    const shapes = {
      "conv.weight": [2, 1, 3, 3],
      "conv.bias": [2],
      "fc.weight": [3, 32],
      "fc.bias": [3],
    };
    const f = (xs: Tensor[]) => {
      const [cw, cb, fw, fb, x] = xs as [Tensor, Tensor, Tensor, Tensor, Tensor];
      return m.apply({ conv: { weight: cw, bias: cb }, fc: { weight: fw, bias: fb } }, { x })["y"]!;
    };
    const xs = [
      ...leaves.map((k) =>
        hostTensor(values(shapes[k].reduce((a, b) => a * b, 1)), shapes[k], "float64"),
      ),
      hostTensor(values(2 * 16), [2, 1, 4, 4], "float64"),
    ];
    await assertVjp(f, xs, { tol: 1e-5, what: "imported conv-relu-gemm-softmax" });
  });

  it("imports PyTorch's x.view(x.size(0), -1) on a symbolic batch (Shape -> Gather -> Concat -> Reshape)", async () => {
    // Made by fixtures/make-view-flatten.py with PyTorch 1.13 (dynamic batch axis "batch").
    const at = (f: string) => new URL(`./fixtures/${f}`, import.meta.url);
    const m = importOnnx(readFileSync(at("view-flatten.onnx")));
    const ref = JSON.parse(readFileSync(at("view-flatten.json"), "utf8")) as {
      x: number[];
      y: number[];
    };
    expect(m.opCounts["Shape"]).toBe(1);
    expect(m.inputs["x"]!.shape).toEqual(["batch", 1, 4, 4]);
    // predict traces with the batch as the symbol N, then runs for batches of 2 and of 1.
    const backend = cpuBackend();
    const run = predict(asLayer(m), m.params, {}, { backend });
    const two = await run(hostTensor(ref.x, [2, 1, 4, 4]));
    const one = await run(hostTensor(ref.x.slice(0, 16), [1, 1, 4, 4]));
    backend.dispose();
    expect(two.shape).toEqual([2, 3]);
    Array.from(two.data).forEach((v, i) => expect(v).toBeCloseTo(ref.y[i]!, 5));
    Array.from(one.data).forEach((v, i) => expect(v).toBeCloseTo(ref.y[i]!, 5));
  });

  it("refuses, by node, a shape computed from a symbolic dim that a loom shape cannot hold (N * 4)", async () => {
    const int64 = (name: string, v: number[], dims = [v.length]): TensorProto => ({
      name,
      dataType: 7,
      dims,
      int64Data: v,
    });
    const bytes = modelOf(
      [
        { name: "s", opType: "Shape", input: ["x"], output: ["sh"] },
        { name: "g", opType: "Gather", input: ["sh", "first"], output: ["n"] },
        { name: "m", opType: "Mul", input: ["n", "four"], output: ["n4"] },
        { name: "u", opType: "Unsqueeze", input: ["n4", "zero"], output: ["u"] },
        {
          name: "c",
          opType: "Concat",
          input: ["u", "minus1"],
          output: ["shape"],
          attribute: [{ name: "axis", type: 2, i: 0 }],
        },
        { name: "r", opType: "Reshape", input: ["x", "shape"], output: ["y"] },
      ],
      [int64("first", [0], []), int64("zero", [0]), int64("four", [4], []), int64("minus1", [-1])],
      [floatInput("x", ["N", 4, 2])],
      ["y"],
    );
    const m = importOnnx(bytes);
    const backend = cpuBackend();
    const run = predict(asLayer(m), m.params, {}, { backend });
    await expect(run(hostTensor(new Float32Array(16), [2, 4, 2]))).rejects.toThrow(
      /node r: .*symbolic dim/,
    );
    backend.dispose();
  });
});
