import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { LoomError } from "@loom/graph";
import type { ModelEntry } from "@loom/models";
import { nn } from "@loom/ops";

/** The model a command works on: a zoo name, or a user's module with the export to take. */
export interface ModelSourceOptions {
  readonly model?: string;
  readonly module?: string;
  readonly export?: string;
  readonly input?: number[];
}

/** A resolved model: its display name, layer and example shape. */
export interface ResolvedModel extends ModelEntry {
  readonly name: string;
}

const isLayerLike = (x: unknown): boolean =>
  typeof x === "object" && x !== null && typeof (x as { apply?: unknown }).apply === "function";

/**
 * Loads `--export` (default `default`) of `--module` and makes it a model: a layer, a function
 * of no arguments returning one (a factory such as `lenet5`), or `{ layer, input }`. `--input`
 * gives the example shape unless the export carries one. The path is resolved against the
 * working directory; TypeScript modules load when the CLI runs under tsx (as `pnpm loom` does).
 */
export const loadUserModel = async (o: ModelSourceOptions): Promise<ResolvedModel> => {
  const path = o.module!;
  const name = o.export ?? "default";
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new LoomError(
      "invalid_argument",
      "module",
      `cannot load ${path}: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  if (!Object.hasOwn(mod, name))
    throw new LoomError(
      "invalid_argument",
      "module",
      `${path} has no export ${JSON.stringify(name)}; its exports: ${Object.keys(mod).join(", ") || "none"} (choose one with --export)`,
    );
  let value = mod[name];
  if (typeof value === "function" && !isLayerLike(value)) value = (value as () => unknown)();
  const isEntry = typeof value === "object" && value !== null && "layer" in value;
  const entry = (isEntry ? value : { layer: value }) as Partial<ModelEntry>;
  nn.checkLayer("module", entry.layer, `export ${JSON.stringify(name)} of ${path}`);
  const input = o.input ?? entry.input;
  if (input === undefined)
    throw new LoomError(
      "invalid_argument",
      "module",
      `the shape of one example is unknown for ${path}: give --input, e.g. --input 1x28x28`,
    );
  return { name: `${path}#${name}`, layer: entry.layer!, input: [...input] };
};

/** True when the options name a user's module rather than a zoo model; refuses both or neither. */
export const usesModule = (o: ModelSourceOptions): boolean => {
  if ((o.module === undefined) === (o.model === undefined))
    throw new LoomError(
      "invalid_argument",
      "model",
      o.module === undefined
        ? "name a model: a zoo model (--model lenet) or your own (--module ./my-model.ts --export cnn --input 1x28x28)"
        : "give either a zoo model or --module, not both",
    );
  return o.module !== undefined;
};

/**
 * Adds `--module` and `--export` to a command, and `--input` parsed by `parseInput` when given
 * (a command that has its own `--input` passes none).
 */
export const addModuleOptions = (
  command: Command,
  parseInput?: (value: string) => number[],
): Command => {
  command
    .option(
      "--module <path>",
      "a module of yours exporting a model (a layer, or a function making one)",
    )
    .option("--export <name>", "with --module: the export to take", "default");
  if (parseInput)
    command.option(
      "--input <CxHxW>",
      "with --module: shape of one input example, e.g. 1x28x28",
      parseInput,
    );
  return command;
};
