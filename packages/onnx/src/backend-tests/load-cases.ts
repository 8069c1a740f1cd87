import * as A from "fp-ts/lib/Array.js";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { HostTensor } from "@loom/graph";
import type { LoomError } from "@loom/graph";
import { hostFromProto, readModel, readTensorProto } from "../proto";
import type { BackendCase } from "./run-case";

/** Where Debian's `libonnx-testdata` puts ONNX's backend test data. */
export const DEFAULT_TEST_DATA = "/usr/share/libonnx-testdata/data";

/** The groups of ONNX's backend test data that the runner knows. */
export const TEST_GROUPS = ["node", "pytorch-converted", "pytorch-operator", "simple"] as const;

const numbered = (dir: string, prefix: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(".pb"))
    .sort((a, b) => parseInt(a.slice(prefix.length), 10) - parseInt(b.slice(prefix.length), 10))
    .map((f) => join(dir, f));

const readTensors = (files: readonly string[]): E.Either<LoomError, HostTensor[]> =>
  pipe(
    [...files],
    A.traverse(E.Applicative)((f) =>
      pipe(readTensorProto(readFileSync(f)), E.chain(hostFromProto)),
    ),
  );

/** Loads one test directory (`model.onnx` and `test_data_set_*`), or why it cannot be read. */
export const loadCase = (
  dir: string,
  group: string,
  name: string,
): E.Either<LoomError, BackendCase> =>
  pipe(
    readModel(readFileSync(join(dir, "model.onnx"))),
    E.chain((model) =>
      pipe(
        readdirSync(dir)
          .filter((d) => d.startsWith("test_data_set_"))
          .sort()
          .map((d) => join(dir, d)),
        A.traverse(E.Applicative)((d) =>
          pipe(
            E.Do,
            E.bind("inputs", () => readTensors(numbered(d, "input_"))),
            E.bind("outputs", () => readTensors(numbered(d, "output_"))),
          ),
        ),
        E.map((dataSets) => ({ name, group, model, dataSets })),
      ),
    ),
  );

/** The test directories of a group, sorted by name (those with a `model.onnx`). */
export const caseDirs = (
  root: string,
  group: string,
): readonly { readonly name: string; readonly dir: string }[] => {
  const base = join(root, group);
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .sort()
    .map((name) => ({ name, dir: join(base, name) }))
    .filter(({ dir }) => existsSync(join(dir, "model.onnx")));
};
