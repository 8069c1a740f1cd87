import type { Command } from "commander";
import { LoomError } from "@loom/graph";
import { evaluate, loadMnist } from "@loom/models";
import { checkBackend, DEFAULT_BACKEND, pickBackend } from "../backends";
import type { CliIo } from "../cli-io";
import type { CliOptions } from "../cli-options";
import { loadForInference } from "./run-checkpoint";
import { loadOnnxLayer } from "./import";

/** Adds `loom evaluate`: test accuracy of a checkpoint (or an ONNX model) on the 2,000 MNIST test digits. */
export const registerEvaluate = (program: Command, io: CliIo, options: CliOptions = {}): Command =>
  program
    .command("evaluate")
    .description("evaluate a checkpoint on the 2,000 MNIST test digits")
    .option("-c, --checkpoint <file>", "a checkpoint written by loom train")
    .option("-m, --model <file>", "an ONNX model (.onnx) to evaluate instead of a checkpoint")
    .option("--backend <name>", "backend", DEFAULT_BACKEND)
    .option("--json", "print a JSON summary as the last line", false)
    .action(
      async (opts: { checkpoint?: string; model?: string; backend: string; json: boolean }) => {
        checkBackend(opts.backend);
        if ((opts.checkpoint === undefined) === (opts.model === undefined))
          throw new LoomError(
            "invalid_argument",
            "evaluate",
            "give either --checkpoint FILE or --model FILE.onnx",
          );
        // A dry run checks the options; an ONNX file is data, read only by a real run.
        if (opts.model !== undefined && options.dryRun) return;
        const { name, vars, layer } =
          opts.model !== undefined
            ? await loadOnnxLayer(opts.model)
            : await loadForInference(opts.checkpoint!).then((r) => ({
                ...r,
                name: r.config.model,
              }));
        if (options.dryRun) return;
        const backend = pickBackend(opts.backend, io.err);
        const { test } = loadMnist();
        const m = await evaluate(backend, { model: layer }, vars, test);
        io.out(
          `${name}: test loss ${m.loss.toFixed(4)} accuracy ${m.accuracy.toFixed(4)} on ${test.count} digits\n`,
        );
        if (opts.json)
          io.out(
            `${JSON.stringify({ model: name, backend: backend.name, testAccuracy: m.accuracy, testLoss: m.loss })}\n`,
          );
      },
    );
