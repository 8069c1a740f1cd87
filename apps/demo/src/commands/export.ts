import { existsSync } from "node:fs";
import type { Command } from "commander";
import { LoomError } from "@loom/graph";
import { getModel } from "@loom/models";
import { writeFileAtomic } from "@loom/models/node";
import { exportLayer, EXPORT_OPSET, readModel } from "@loom/onnx";
import type { CliIo } from "../cli-io";
import { loadForInference } from "./run-checkpoint";

interface ExportOptions {
  checkpoint: string;
  model?: string;
  out: string;
  batch: string;
  overwrite: boolean;
}

const bad = (message: string) => new LoomError("invalid_argument", "export", message);

/** The batch dim: a symbol such as N (a named ONNX dim) or a positive integer. */
const batchDim = (v: string) => (/^[1-9][0-9]*$/.test(v) ? Number(v) : v);

/** Runs `loom export`: a checkpoint's inference function as an ONNX file. */
export const runExport = async (o: ExportOptions, io: CliIo): Promise<void> => {
  if (!o.out.endsWith(".onnx")) throw bad(`--out ${o.out} should end in .onnx`);
  if (existsSync(o.out) && !o.overwrite)
    throw bad(`${o.out} exists; pass --overwrite to replace it`);
  const { config, vars, layer } = await loadForInference(o.checkpoint);
  if (o.model !== undefined && o.model !== config.model)
    throw bad(`${o.checkpoint} holds a ${config.model}, not a ${o.model}`);
  const { input } = getModel(config.model, {
    dropout: config.dropout,
    batchNorm: config.batchNorm,
  });
  const bytes = exportLayer(layer, vars, input, { batch: batchDim(o.batch), name: config.model });
  await writeFileAtomic(o.out, bytes);
  const graph = readModel(bytes);
  const nodes = graph._tag === "Right" ? (graph.right.graph?.node ?? []).length : 0;
  io.out(
    `${config.model}: ${o.checkpoint} -> ${o.out} (ONNX opset ${EXPORT_OPSET}, input x [${o.batch},${input.join(",")}], output logits, ${nodes} nodes, ${bytes.length} bytes)\n`,
  );
};

/** Adds `loom export`: a checkpoint's model, in inference mode, as an ONNX file for onnxruntime and others. */
export const registerExport = (program: Command, io: CliIo): Command =>
  program
    .command("export")
    .description("export a checkpoint's model (inference mode) to an ONNX file")
    .requiredOption("-c, --checkpoint <file>", "a checkpoint written by loom train or loom convert")
    .option(
      "-m, --model <name>",
      "the model the checkpoint must hold (checked against its metadata)",
    )
    .requiredOption("-o, --out <file>", "the ONNX file to write (model.onnx)")
    .option("--batch <dim>", "the batch dim: a name (a symbolic ONNX dim) or a fixed size", "N")
    .option("--overwrite", "replace --out if it exists", false)
    .action((opts: ExportOptions) => runExport(opts, io));
