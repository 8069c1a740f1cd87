import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { LoomError } from "@loom/graph";
import type { CliIo } from "./cli-io";
import { processIo } from "./cli-io";
import { registerConvert } from "./commands/convert";
import { registerEvaluate } from "./commands/evaluate";
import { registerFeatures } from "./commands/features";
import { registerInspect } from "./commands/inspect";
import { registerSummary } from "./commands/summary";
import { registerTrain } from "./commands/train";

/** The exit code of bad input (usage errors and LoomErrors), as in most Unix tools. */
export const EXIT_USAGE = 2;

// Commander prints "error: ..." and sometimes a suggestion on a second line; loom's errors are
// one line, prefixed by the program name.
const oneLine = (text: string) =>
  `loom: ${text
    .replace(/^error: /, "")
    .trim()
    .replace(/\s*\n\s*/g, " ")}\n`;

/** Builds the `loom` program; each command lives in its own file under commands/. */
export const makeProgram = (io: CliIo): Command => {
  const program = new Command("loom")
    .description("loom, a functional, lazy computation-graph deep-learning framework")
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: (text, write) => write(oneLine(text)),
    });
  registerInspect(program, io);
  registerSummary(program, io);
  registerTrain(program, io);
  registerEvaluate(program, io);
  registerFeatures(program, io);
  registerConvert(program, io);
  return program;
};

/**
 * Runs the CLI on `argv` (without node and the script) and returns the exit code: 0, or 2 for
 * bad input, reported on one line; a LoomError is shown by its message, never a stack trace.
 */
export const runCli = async (argv: readonly string[], io: CliIo = processIo): Promise<number> => {
  try {
    await makeProgram(io).parseAsync([...argv], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
    if (e instanceof LoomError) {
      io.err(oneLine(e.message));
      return EXIT_USAGE;
    }
    throw e;
  }
};

const isMain = (): boolean => {
  const script = process.argv[1];
  return (
    script !== undefined && realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  );
};

if (isMain()) process.exitCode = await runCli(process.argv.slice(2));
