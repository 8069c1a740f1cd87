import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { Dim, Graph, HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "@loom/ops";
import { flattenTree, isHostTensor, isSpec, mapTree, trace } from "@loom/ops";
import type { ImportedModel } from "@loom/onnx";
import { applyTree, asLayer, importOnnx } from "@loom/onnx";
import type { CliIo } from "../cli-io";

/** Reads and imports an ONNX file; a LoomError names the file. */
export const loadOnnx = async (path: string): Promise<ImportedModel> => {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new LoomError("io", "import", `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return importOnnx(bytes);
  } catch (e) {
    if (!(e instanceof LoomError)) throw e;
    throw new LoomError(e.code, e.op, `${path}: ${e.message}`, e.shapes);
  }
};

/** An ONNX file as a layer and its variables, for the commands that take a zoo model's checkpoint. */
export const loadOnnxLayer = async (path: string) => {
  const m = await loadOnnx(path);
  return { name: m.name, layer: asLayer(m), vars: { params: m.params, state: {} } };
};

/**
 * An ONNX file's graph for `loom inspect --model model.onnx`: its parameters and inputs as
 * graph inputs, a symbolic first dim of each input renamed to `batch`.
 */
export const onnxGraph = (path: string, batch: Dim): Graph => {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new LoomError("io", "inspect", `cannot read ${path}: ${(e as Error).message}`);
  }
  const m = importOnnx(bytes);
  const specOf = (h: HostTensor): TensorSpec => ({ shape: h.shape, dtype: h.dtype });
  const inputs = mapTree(m.inputs as Tree<TensorSpec>, isSpec, (s) => ({
    ...s,
    shape: s.shape.map((d, i) => (i === 0 && typeof d === "string" ? batch : d)),
  }));
  const specs: Tree<TensorSpec> = { params: mapTree(m.params, isHostTensor, specOf), inputs };
  const fn = (t: Tree<Tensor>): Tree<Tensor> => applyTree(m, t);
  return trace(fn, specs).graph;
};

const shape = (s: readonly (number | string)[]) => `[${s.join(",")}]`;

/** The summary `loom import` prints: inputs, outputs, parameters and op counts. */
export const importSummary = (path: string, m: ImportedModel) => {
  const params = flattenTree(m.params, isHostTensor) as { path: string; leaf: HostTensor }[];
  return {
    file: path,
    name: m.name,
    opset: m.opset,
    inputs: Object.fromEntries(Object.entries(m.inputs).map(([k, s]) => [k, shape(s.shape)])),
    outputs: m.outputs,
    parameters: params.reduce((n, p) => n + p.leaf.data.length, 0),
    tensors: params.length,
    ops: m.opCounts,
  };
};

/** Adds `loom import`: checks that loom can run an ONNX model and prints its summary. */
export const registerImport = (program: Command, io: CliIo): Command =>
  program
    .command("import")
    .description("import an ONNX model: check loom supports every op and print its summary")
    .argument("<file>", "the ONNX model (model.onnx)")
    .option("--json", "print the summary as JSON on the last line", false)
    .action(async (file: string, opts: { json: boolean }) => {
      const s = importSummary(file, await loadOnnx(file));
      io.out(
        [
          `${s.file}: ONNX graph ${s.name}, opset ${s.opset}`,
          ...Object.entries(s.inputs).map(([k, v]) => `  input  ${k} ${v}`),
          ...s.outputs.map((o) => `  output ${o}`),
          `  ${s.parameters} parameters in ${s.tensors} tensors`,
          `  ops: ${Object.entries(s.ops)
            .map(([k, n]) => `${k} x${n}`)
            .join(", ")}`,
          "",
        ].join("\n"),
      );
      if (opts.json) io.out(`${JSON.stringify(s)}\n`);
    });
