/**
 * PyTorch state dicts in and out of loom's zoo models (names: see torch-names.ts). A state dict
 * here is what `safetensors.torch.save_file(model.state_dict(), path)` writes, read with
 * `readTorchStateDict`: a record of host tensors by PyTorch name.
 *
 * Checks, in this order, and the first failure is the error: every name the model needs is
 * there (missing key), every name there is one the model has (unexpected key), then per tensor
 * in `state_dict()` order its dtype and its shape (both shapes in the message).
 *
 * dtypes: weights and running statistics may be F32 or F64 in the file; they are converted to
 * the model's dtype (`dtype`, float32 by default: F64 rounds to nearest, F32 to float64 is
 * exact). Integer tensors where loom needs floats are refused. Batch norm's
 * `num_batches_tracked` (I64, read as int32), when present, must be an integer scalar and is then
 * dropped: loom keeps no count, and a state dict loom wrote has none. Out of loom, it is not written: PyTorch's BatchNorm fills a missing
 * `num_batches_tracked` with 0 when it loads a state dict without version metadata (which is
 * what `safetensors.torch.load_file` returns), and the count only matters with `momentum=None`.
 */
import type { DType, HostTensor } from "@loom/graph";
import { DTYPE_SHORT, formatShape, LoomError } from "@loom/graph";
import type { Tree, nn } from "@loom/ops";
import { flattenTree, isHostTensor, isSpec, mapTree } from "@loom/ops";
import { decodeSafetensors, encodeSafetensors } from "./checkpoint/safetensors";
import type { ModelOptions } from "./registry";
import { getModel, varSpecs } from "./registry";
import type { TorchNameEntry } from "./torch-names";
import { torchNames } from "./torch-names";
import type { ModelVars } from "./train/init";

/** A zoo model to convert: its name (which picks the PyTorch layout), its layer and one input example's shape. */
export interface TorchModel {
  readonly name: string;
  readonly layer: nn.Layer;
  readonly input: readonly number[];
}

/** A PyTorch state dict: host tensors by PyTorch name. */
export type TorchStateDict = Readonly<Record<string, HostTensor>>;

/** The float dtype loom's tensors get (from PyTorch) or PyTorch's tensors get (to PyTorch). */
export interface TorchConvertOptions {
  readonly dtype?: "float32" | "float64";
}

/** A named zoo model (see `getModel`) ready for conversion. */
export const torchModel = (name: string, opts: ModelOptions = {}): TorchModel => ({
  name,
  ...getModel(name, opts),
});

const OP = "torchStateDict";

const show = (dtype: DType, shape: readonly number[]): string =>
  `${DTYPE_SHORT[dtype]}${formatShape(shape)}`;

/** Where a name lives in loom, for messages. */
const loomPlace = (e: TorchNameEntry): string =>
  e.tree === "counter" ? `batch norm ${e.path}` : `loom ${e.tree}.${e.path}`;

const isFloat = (dtype: DType): boolean => dtype === "float32" || dtype === "float64";

const sameShape = (a: readonly number[], b: readonly (number | string)[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** The names and the loom type of every tensor of `model`, in `state_dict()` order. */
export const torchNameTable = (model: TorchModel, dtype: DType = "float32"): TorchNameEntry[] =>
  torchNames(model.name, varSpecs(model.layer, { shape: [1, ...model.input], dtype }));

/** The first name problem between what the model needs and what `given` holds, if any. */
const nameMismatch = (
  model: TorchModel,
  table: readonly TorchNameEntry[],
  given: readonly string[],
  side: string,
): LoomError | undefined => {
  const have = new Set(given);
  const missing = table.find((e) => !have.has(e.torch));
  if (missing !== undefined) {
    return new LoomError(
      "checkpoint_invalid",
      OP,
      `missing key ${JSON.stringify(missing.torch)} in the ${side} (${loomPlace(missing)}, ${show(missing.spec.dtype ?? "float32", missing.spec.shape as number[])}); ${model.name} needs ${table.length} tensors`,
    );
  }
  const known = new Set(table.map((e) => e.torch));
  const extra = given.find((n) => !known.has(n));
  if (extra !== undefined) {
    return new LoomError(
      "checkpoint_invalid",
      OP,
      `unexpected key ${JSON.stringify(extra)} in the ${side}: ${model.name}'s PyTorch layout has no such tensor`,
    );
  }
  return undefined;
};

/** The dtype or shape problem of one tensor, if any. */
const tensorMismatch = (
  model: TorchModel,
  e: TorchNameEntry,
  t: HostTensor,
  side: string,
): LoomError | undefined => {
  const name = JSON.stringify(e.torch);
  if (e.tree === "counter" ? t.dtype !== "int32" : !isFloat(t.dtype)) {
    const want = e.tree === "counter" ? "an integer (I64) count" : "a float tensor (F32 or F64)";
    return new LoomError(
      "dtype_mismatch",
      OP,
      `${name} is ${show(t.dtype, t.shape)} in the ${side} but ${model.name} needs ${want} (${loomPlace(e)})`,
      [t.shape],
    );
  }
  if (!sameShape(t.shape, e.spec.shape)) {
    return new LoomError(
      "shape_mismatch",
      OP,
      `${name} has shape ${formatShape(t.shape)} in the ${side} but ${formatShape(e.spec.shape)} in ${model.name} (${loomPlace(e)})`,
      [t.shape, e.spec.shape],
    );
  }
  return undefined;
};

/** The tensor in `dtype`: the same object when it already is, else a converted copy. */
const convert = (t: HostTensor, dtype: DType): HostTensor =>
  t.dtype === dtype
    ? t
    : {
        shape: [...t.shape],
        dtype,
        data: dtype === "float64" ? Float64Array.from(t.data) : Float32Array.from(t.data),
      };

/** The first problem of `dict` against `table` (names, then dtype and shape tensor by tensor). */
const firstMismatch = (
  model: TorchModel,
  table: readonly TorchNameEntry[],
  dict: TorchStateDict,
  side: string,
): LoomError | undefined =>
  nameMismatch(model, table, Object.keys(dict), side) ??
  table.reduce<LoomError | undefined>(
    (err, e) => err ?? tensorMismatch(model, e, dict[e.torch]!, side),
    undefined,
  );

/**
 * Loads a PyTorch state dict into a zoo model's params and state, checking every name, dtype
 * and shape first; the first mismatch is a LoomError (see the file comment for the order and
 * the dtype rules).
 */
export const fromTorchStateDict = (
  model: TorchModel,
  stateDict: TorchStateDict,
  options: TorchConvertOptions = {},
): ModelVars => {
  const dtype = options.dtype ?? "float32";
  const dict = Object.fromEntries(Object.entries(stateDict)) as TorchStateDict;
  // A count may be absent (toTorchStateDict writes none); one that is there is checked.
  const table = torchNameTable(model, dtype).filter(
    (e) => e.tree !== "counter" || Object.hasOwn(dict, e.torch),
  );
  const bad = firstMismatch(model, table, dict, "state dict");
  if (bad !== undefined) throw bad;
  const byPath = new Map(table.map((e) => [`${e.tree}.${e.path}`, dict[e.torch]!]));
  const specs = varSpecs(model.layer, { shape: [1, ...model.input], dtype });
  const fill = (tree: "params" | "state") =>
    mapTree(specs[tree], isSpec, (_, path) => convert(byPath.get(path)!, dtype), tree);
  return { params: fill("params"), state: fill("state") };
};

/**
 * A zoo model's params and state as a PyTorch state dict, in `state_dict()` order, with tensors in
 * `dtype` (default: as they are). The trees must match the model exactly (names, dtypes,
 * shapes); `num_batches_tracked` is not written (see the file comment).
 */
export const toTorchStateDict = (
  model: TorchModel,
  vars: ModelVars,
  options: TorchConvertOptions = {},
): Record<string, HostTensor> => {
  const table = torchNameTable(model).filter((e) => e.tree !== "counter");
  const leaves = (tree: "params" | "state", t: Tree<HostTensor>) =>
    flattenTree(t, isHostTensor, "").map(({ path, leaf }) => [`${tree}.${path}`, leaf] as const);
  const byPath = new Map([...leaves("params", vars.params), ...leaves("state", vars.state)]);
  const torchOf = new Map(table.map((e) => [`${e.tree}.${e.path}`, e.torch]));
  // The loom trees, named the PyTorch way, so that one check reports problems on both sides alike.
  const named: Record<string, HostTensor> = {};
  for (const [path, t] of byPath) named[torchOf.get(path) ?? `(loom ${path})`] = t;
  const bad = firstMismatch(model, table, named, "loom variables");
  if (bad !== undefined) throw bad;
  return Object.fromEntries(
    table.map((e) => [e.torch, convert(named[e.torch]!, options.dtype ?? named[e.torch]!.dtype)]),
  );
};

/** Reads a state dict saved by `safetensors.torch.save_file` (F32, F64, I32, I64 read as int32, BOOL). */
export const readTorchStateDict = (bytes: Uint8Array): Record<string, HostTensor> =>
  decodeSafetensors(bytes, { int64: true }).tensors;

/** Writes a state dict as safetensors bytes that `safetensors.torch.load_file` reads. */
export const writeTorchStateDict = (stateDict: TorchStateDict): Uint8Array =>
  encodeSafetensors(stateDict, { format: "pt" });
