/**
 * A checkpoint is a bundle of pytrees (params, state, optimizer state) plus the step and free-form
 * metadata, stored as one safetensors file. Leaves are named by their tree path with a prefix
 * (`params.layers.0.w`, `state.bn1.mean`, `opt.mu.layers.0.w`); the step, the user's metadata and
 * the trees' skeleton (so that arrays, objects and empty subtrees come back as they were) go into
 * `__metadata__`. Pure and browser-safe: the web app can download and upload these bytes.
 */
import type { DType, HostTensor, Shape } from "@loom/graph";
import { DTYPE_SHORT, formatShape, LoomError } from "@loom/graph";
import type { MapLeaves, TensorSpec, Tree } from "@loom/ops";
import { flattenTree, isHostTensor, isSpec, mapTree } from "@loom/ops";
import { crc32 } from "./crc32";
import {
  decodeSafetensors,
  encodeSafetensors,
  littleEndianBytes,
  SAFETENSORS_DTYPE,
} from "./safetensors";

/**
 * What a checkpoint holds. `state` and `optState` (the optimizer's state: `fit`'s `TrainState` uses
 * the same name, so `{ ...trainState }` saves and a loaded checkpoint resumes) default to empty
 * trees; `step` may be left out for a model saved for inference, and reads back as 0.
 */
export interface CheckpointBundle {
  readonly params: Tree<HostTensor>;
  readonly state?: Tree<HostTensor>;
  readonly optState?: Tree<HostTensor>;
  readonly step?: number;
  /** Free-form strings (model name, config JSON); keys starting with `loom.` are reserved. */
  readonly meta?: Readonly<Record<string, string>>;
}

/** A checkpoint read back: every tree present (possibly empty), tensors freshly allocated. */
export interface LoadedCheckpoint {
  readonly params: Tree<HostTensor>;
  readonly state: Tree<HostTensor>;
  readonly optState: Tree<HostTensor>;
  readonly step: number;
  readonly meta: Record<string, string>;
}

/** What a checkpoint must contain: trees of host tensors (e.g. fresh init) or specs. Omitted trees are not checked. */
export interface ExpectedCheckpoint {
  readonly params: Tree<HostTensor | TensorSpec>;
  readonly state?: Tree<HostTensor | TensorSpec>;
  readonly optState?: Tree<HostTensor | TensorSpec>;
}

/** The host tree a checkpoint holds for an expected tree of host tensors or specs: the same paths. */
export type HostTreeOf<T> =
  Tree<HostTensor> extends T
    ? Tree<HostTensor>
    : Tree<TensorSpec> extends T
      ? Tree<HostTensor>
      : MapLeaves<T, HostTensor | TensorSpec, HostTensor>;

/**
 * A loaded checkpoint typed after the trees it was checked against: loaded with a model's fresh
 * variables, `params.fc.w` is a host tensor with no cast (untyped without `expected`).
 */
export interface TypedCheckpoint<E extends ExpectedCheckpoint> extends LoadedCheckpoint {
  readonly params: HostTreeOf<E["params"]>;
  readonly state: E extends { readonly state: infer S } ? HostTreeOf<S> : Tree<HostTensor>;
}

/** Options for writing a checkpoint. */
export interface EncodeCheckpointOptions {
  /** Write tensors holding NaN or Inf (refused by default so a diverged run never replaces a good file). */
  readonly allowNonFinite?: boolean;
}

/** Options for reading a checkpoint. */
export interface DecodeCheckpointOptions {
  /** Accept tensors holding NaN or Inf (refused by default: no caller can use a diverged model). */
  readonly allowNonFinite?: boolean;
  /** The file name to put in front of every error message. */
  readonly source?: string;
}

/** The metadata keys loom owns, and the format tag that marks a loom checkpoint. */
export const CHECKPOINT_KEYS = {
  format: "loom.format",
  step: "loom.step",
  structure: "loom.structure",
  checksum: "loom.crc32",
} as const;

/** Written into `loom.format`; bump when the layout of a checkpoint changes. */
export const CHECKPOINT_FORMAT = "loom-checkpoint-1";

/** Tree name in the bundle -> prefix of its tensors' names in the file. */
const PREFIX = { params: "params", state: "state", optState: "opt" } as const;
type TreeName = keyof typeof PREFIX;
const TREE_NAMES = Object.keys(PREFIX) as TreeName[];

/** Skeleton nesting beyond this is refused on load (keeps the recursive walk from overflowing). */
const MAX_DEPTH = 64;

const invalid = (message: string): LoomError =>
  new LoomError("checkpoint_invalid", "checkpoint", message);

const badInput = (message: string): LoomError =>
  new LoomError("invalid_argument", "checkpoint", message);

const isNull = (x: unknown): x is null => x === null;

const isExpectedLeaf = (x: unknown): x is HostTensor | TensorSpec => isHostTensor(x) || isSpec(x);

const describe = (dtype: DType, shape: Shape): string =>
  `${DTYPE_SHORT[dtype]}${formatShape(shape)}`;

/**
 * CRC-32 over every tensor's name, dtype, shape and bytes and every other metadata entry, in
 * sorted order: safetensors has no checksum, and a flipped byte in a name, a dtype tag or the
 * data can otherwise still parse as a valid file.
 */
const checksum = (
  tensors: Readonly<Record<string, HostTensor>>,
  metadata: Readonly<Record<string, string>>,
): string => {
  const names = Object.keys(tensors).sort();
  const description = JSON.stringify({
    tensors: names.map((n) => [n, SAFETENSORS_DTYPE[tensors[n]!.dtype], tensors[n]!.shape]),
    metadata: Object.entries(metadata)
      .filter(([k]) => k !== CHECKPOINT_KEYS.checksum)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  });
  let crc = crc32(new TextEncoder().encode(description));
  for (const n of names) crc = crc32(littleEndianBytes(tensors[n]!), crc);
  return crc.toString(16).padStart(8, "0");
};

/** Serialises a checkpoint bundle to safetensors bytes; throws before producing anything on a bad bundle. */
export const encodeCheckpoint = (
  bundle: CheckpointBundle,
  options: EncodeCheckpointOptions = {},
): Uint8Array => {
  const { step, meta = {} } = bundle;
  if (step !== undefined && (!Number.isSafeInteger(step) || step < 0)) {
    throw badInput(`step must be an integer >= 0, got ${String(step)}`);
  }
  const reserved = Object.keys(meta).find((k) => k.startsWith("loom."));
  if (reserved !== undefined)
    throw badInput(`meta key ${JSON.stringify(reserved)} is reserved (loom.*)`);

  const named: Record<string, HostTensor> = {};
  const skeleton: Record<string, unknown> = {};
  for (const tree of TREE_NAMES) {
    const value = bundle[tree] ?? {};
    for (const { path, leaf } of flattenTree(value, isHostTensor, PREFIX[tree])) {
      if (Object.hasOwn(named, path)) {
        throw badInput(
          `two leaves are both named ${JSON.stringify(path)} (a key containing "." collides with a nested path)`,
        );
      }
      if (!options.allowNonFinite && (leaf.dtype === "float32" || leaf.dtype === "float64")) {
        const bad = leaf.data.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) {
          throw new LoomError(
            "non_finite",
            "checkpoint",
            `${path}[${bad}] is ${leaf.data[bad]}; refusing to write a non-finite checkpoint`,
          );
        }
      }
      Object.defineProperty(named, path, {
        value: leaf,
        enumerable: true,
        configurable: true,
        writable: true,
      });
    }
    skeleton[tree] = mapTree(value, isHostTensor, () => null);
  }
  const metadata = {
    ...meta,
    [CHECKPOINT_KEYS.format]: CHECKPOINT_FORMAT,
    ...(step === undefined ? {} : { [CHECKPOINT_KEYS.step]: String(step) }),
    [CHECKPOINT_KEYS.structure]: JSON.stringify(skeleton),
  };
  return encodeSafetensors(named, {
    ...metadata,
    [CHECKPOINT_KEYS.checksum]: checksum(named, metadata),
  });
};

/** The first NaN or Inf among the float tensors, by name, as `name[i] is not a finite number (NaN)`. */
const firstNonFinite = (tensors: Readonly<Record<string, HostTensor>>): string | undefined => {
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== "float32" && t.dtype !== "float64") continue;
    const i = t.data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return `${name}[${i}] is not a finite number (${t.data[i]})`;
  }
  return undefined;
};

/** Checks a parsed skeleton is nulls in plain arrays and objects, at most MAX_DEPTH deep. */
const checkSkeleton = (x: unknown, where: string, depth = 0): void => {
  if (depth > MAX_DEPTH)
    throw invalid(`${CHECKPOINT_KEYS.structure} nests deeper than ${MAX_DEPTH} at ${where}`);
  if (x === null) return;
  if (typeof x !== "object")
    throw invalid(`${CHECKPOINT_KEYS.structure} has ${JSON.stringify(x)} at ${where}, not a tree`);
  for (const [k, v] of Object.entries(x)) checkSkeleton(v, `${where}.${k}`, depth + 1);
};

const parseSkeleton = (text: string | undefined): Record<TreeName, Tree<null>> => {
  if (text === undefined) throw invalid(`no ${CHECKPOINT_KEYS.structure} in __metadata__`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(`${CHECKPOINT_KEYS.structure} is not valid JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalid(`${CHECKPOINT_KEYS.structure} is not an object`);
  }
  for (const tree of TREE_NAMES) {
    if (!Object.hasOwn(parsed, tree))
      throw invalid(`${CHECKPOINT_KEYS.structure} has no ${tree} tree`);
    checkSkeleton((parsed as Record<string, unknown>)[tree], tree);
  }
  return parsed as Record<TreeName, Tree<null>>;
};

/** Lists differences between the expected names/types and the file's tensors, by name, first ones first. */
const differences = (
  checked: ReadonlyMap<string, { dtype: DType; shape: Shape }>,
  recorded: ReadonlySet<string>,
  file: Readonly<Record<string, HostTensor>>,
): string[] => {
  const out: string[] = [];
  for (const [name, want] of checked) {
    const got = Object.hasOwn(file, name) ? file[name] : undefined;
    if (got === undefined) {
      out.push(`${name}: expected ${describe(want.dtype, want.shape)}, missing from the file`);
    } else if (got.dtype !== want.dtype || formatShape(got.shape) !== formatShape(want.shape)) {
      out.push(
        `${name}: expected ${describe(want.dtype, want.shape)}, file has ${describe(got.dtype, got.shape)}`,
      );
    }
  }
  for (const name of recorded) {
    if (!Object.hasOwn(file, name))
      out.push(`${name}: in the file's recorded structure but not among its tensors`);
  }
  for (const [name, got] of Object.entries(file)) {
    if (!checked.has(name) && !recorded.has(name)) {
      out.push(`${name}: in the file (${describe(got.dtype, got.shape)}) but not expected`);
    }
  }
  return out;
};

const report = (what: string, diffs: readonly string[]): LoomError => {
  const shown = diffs.slice(0, 5).join("; ");
  const more = diffs.length > 5 ? `; and ${diffs.length - 5} more` : "";
  return invalid(`${what}: ${shown}${more}`);
};

/**
 * Parses and validates checkpoint bytes. With `expected`, the trees it gives must match the file
 * exactly (names, shapes, dtypes) and come back in its structure; without, the file's own
 * recorded structure is used. Any problem is a `checkpoint_invalid` LoomError naming the tensor,
 * and NaN or Inf in a float tensor a `non_finite` one unless `allowNonFinite`: this is the one
 * loader every caller (CLI, web app, library) goes through.
 */
export const decodeCheckpoint = <E extends ExpectedCheckpoint = ExpectedCheckpoint>(
  bytes: Uint8Array,
  expected?: E,
  options: DecodeCheckpointOptions = {},
): TypedCheckpoint<E> => {
  const { source } = options;
  // The trees come back in `expected`'s structure (checked leaf by leaf), hence its types.
  if (source === undefined) return decodeChecked(bytes, expected, options) as TypedCheckpoint<E>;
  try {
    return decodeChecked(bytes, expected, options) as TypedCheckpoint<E>;
  } catch (e) {
    if (!(e instanceof LoomError)) throw e;
    const message = e.message.startsWith(`${e.op}: `)
      ? e.message.slice(e.op.length + 2)
      : e.message;
    throw new LoomError(e.code, e.op, `${source}: ${message}`, e.shapes);
  }
};

const decodeChecked = (
  bytes: Uint8Array,
  expected: ExpectedCheckpoint | undefined,
  options: DecodeCheckpointOptions,
): LoadedCheckpoint => {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const format = metadata[CHECKPOINT_KEYS.format];
  if (format !== CHECKPOINT_FORMAT) {
    throw invalid(
      `not a loom checkpoint: ${CHECKPOINT_KEYS.format} is ${JSON.stringify(format ?? null)}, expected ${JSON.stringify(CHECKPOINT_FORMAT)}`,
    );
  }
  const stored = metadata[CHECKPOINT_KEYS.checksum];
  const actual = checksum(tensors, metadata);
  if (stored !== actual) {
    throw invalid(
      `checksum ${CHECKPOINT_KEYS.checksum} is ${JSON.stringify(stored ?? null)} but the contents give "${actual}": the file is corrupted`,
    );
  }
  // A file saved without a step (a model for inference) has none: it reads as step 0.
  const stepText = metadata[CHECKPOINT_KEYS.step] ?? "0";
  const step = Number(stepText);
  if (!/^(0|[1-9][0-9]*)$/.test(stepText) || !Number.isSafeInteger(step)) {
    throw invalid(`${CHECKPOINT_KEYS.step} is ${JSON.stringify(stepText)}, not an integer >= 0`);
  }
  const skeleton = parseSkeleton(metadata[CHECKPOINT_KEYS.structure]);
  const nonFinite = options.allowNonFinite ? undefined : firstNonFinite(tensors);
  if (nonFinite !== undefined) {
    throw new LoomError(
      "non_finite",
      "checkpoint",
      `${nonFinite}; the run that wrote it diverged (load with allowNonFinite to inspect it)`,
    );
  }

  const structures = {} as Record<TreeName, Tree<unknown>>;
  const checked = new Map<string, { dtype: DType; shape: Shape }>();
  const recorded = new Set<string>();
  for (const tree of TREE_NAMES) {
    const given = expected?.[tree];
    if (given === undefined) {
      structures[tree] = skeleton[tree];
      for (const { path } of flattenTree(skeleton[tree], isNull, PREFIX[tree])) recorded.add(path);
    } else {
      structures[tree] = given;
      for (const { path, leaf } of flattenTree(given, isExpectedLeaf, PREFIX[tree])) {
        checked.set(path, { dtype: leaf.dtype ?? "float32", shape: leaf.shape });
      }
    }
  }
  const diffs = differences(checked, recorded, tensors);
  if (diffs.length > 0) {
    const what = expected
      ? "checkpoint does not match the expected trees"
      : "checkpoint is inconsistent";
    throw report(what, diffs);
  }
  const isStructureLeaf = (x: unknown): x is unknown => x === null || isExpectedLeaf(x);
  const rebuild = (tree: TreeName): Tree<HostTensor> =>
    mapTree(structures[tree], isStructureLeaf, (_, path) => tensors[path]!, PREFIX[tree]);
  const meta = Object.fromEntries(Object.entries(metadata).filter(([k]) => !k.startsWith("loom.")));
  return {
    params: rebuild("params"),
    state: rebuild("state"),
    optState: rebuild("optState"),
    step,
    meta,
  };
};
