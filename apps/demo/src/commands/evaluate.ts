import type { Command } from "commander";
import { evaluate, loadMnist } from "@loom/models";
import { checkBackend, DEFAULT_BACKEND, pickBackend } from "../backends";
import type { CliIo } from "../cli-io";
import type { CliOptions } from "../cli-options";
import { loadForInference } from "./run-checkpoint";

/** Adds `loom evaluate`: test accuracy of a checkpoint on the 2,000 MNIST test digits. */
export const registerEvaluate = (program: Command, io: CliIo, options: CliOptions = {}): Command =>
  program
    .command("evaluate")
    .description("evaluate a checkpoint on the 2,000 MNIST test digits")
    .requiredOption("-c, --checkpoint <file>", "a checkpoint written by loom train")
    .option("--backend <name>", "backend", DEFAULT_BACKEND)
    .option("--json", "print a JSON summary as the last line", false)
    .action(async (opts: { checkpoint: string; backend: string; json: boolean }) => {
      checkBackend(opts.backend);
      const { config, vars, layer } = await loadForInference(opts.checkpoint);
      if (options.dryRun) return;
      const backend = pickBackend(opts.backend);
      const { test } = loadMnist();
      const m = await evaluate(backend, { model: layer }, vars, test);
      io.out(
        `${config.model}: test loss ${m.loss.toFixed(4)} accuracy ${m.accuracy.toFixed(4)} on ${test.count} digits\n`,
      );
      if (opts.json)
        io.out(
          `${JSON.stringify({ model: config.model, backend: backend.name, testAccuracy: m.accuracy, testLoss: m.loss })}\n`,
        );
    });
