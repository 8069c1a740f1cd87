import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { LoomError } from "@loom/graph";
import type { CliIo } from "./cli-io";
import { processIo } from "./cli-io";
import type { CliOptions } from "./cli-options";
import { registerConvert } from "./commands/convert";
import { registerEvaluate } from "./commands/evaluate";
import { registerExport } from "./commands/export";
import { registerImport } from "./commands/import";
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
export const makeProgram = (io: CliIo, options: CliOptions = {}): Command => {
  const program = new Command("loom")
    .description("loom, a functional, lazy computation-graph deep-learning framework")
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      // Commander writes help to stderr only as an error (a bare `loom`, `loom help help`): one
      // line naming the usage, like every other error.
      writeErr: (text) =>
        io.err(
          text.startsWith("Usage: ")
            ? oneLine(`${text.split("\n")[0]!.toLowerCase()}; see --help`)
            : text,
        ),
      outputError: (text, write) => write(oneLine(text)),
    });
  const inspect = registerInspect(program, io);
  // inspect only traces a graph, so its options are all checked by the parsing itself.
  if (options.dryRun) inspect.action(() => undefined);
  registerSummary(program, io, options);
  registerTrain(program, io, options);
  registerEvaluate(program, io, options);
  registerFeatures(program, io, options);
  const convert = registerConvert(program, io);
  const onnxCommands = [registerExport(program, io), registerImport(program, io)];
  // export and import read and write files: in a dry run, parsing their options is the whole check.
  if (options.dryRun) for (const c of onnxCommands) c.action(() => undefined);
  // convert reads and writes files: in a dry run, parsing its options is the whole check.
  if (options.dryRun) convert.action(() => undefined);
  return program;
};

/**
 * Runs the CLI on `argv` (without node and the script) and returns the exit code: 0, or 2 for
 * bad input, reported on one line; a LoomError is shown by its message, never a stack trace.
 */
export const runCli = async (
  argv: readonly string[],
  io: CliIo = processIo,
  options: CliOptions = {},
): Promise<number> => {
  try {
    await makeProgram(io, options).parseAsync([...argv], { from: "user" });
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
