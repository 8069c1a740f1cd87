import type {
  Backend,
  DeviceTensor,
  DType,
  Executable,
  Graph,
  HostTensor,
  PipelineOptions,
  RunValue,
  Shape,
} from "@loom/graph";
import {
  executableCache,
  formatShape,
  graphKey,
  hostResidentRun,
  isDeviceTensor,
  LoomError as Err,
  makeGraph,
  ownValue,
  withPath,
} from "@loom/graph";
import type { Tensor } from "./core";
import { input, isTensor } from "./core";
import { isHostTensor } from "./host";
import { isRunValue, readValues } from "./device";
import type { MapLeaves, Tree } from "./pytree";
import { flattenTree, unflattenTree } from "./pytree";
import type { StageChoice } from "./pipeline";
import { planGraph } from "./pipeline";
import type { OptionKeys } from "./api/options";
import { checkOptions } from "./api/options";
import { checkFeeds } from "./feeds";
import { layerPaths } from "./layer-paths";

/** The type of a graph input: a shape (dims may be symbols such as "N") and a dtype (float32 by default). */
export interface TensorSpec {
  readonly shape: Shape;
  readonly dtype?: DType;
}

/** True for tensor specs. */
export const isSpec = (x: unknown): x is TensorSpec =>
  typeof x === "object" &&
  x !== null &&
  Array.isArray((x as TensorSpec).shape) &&
  !isTensor(x) &&
  !isHostTensor(x);

/** The tree of tensors a function receives for a tree of specs. */
export type TensorsOf<S> = MapLeaves<S, TensorSpec, Tensor>;

/** The tree of host tensors a compiled function returns for a tree of tensors. */
export type HostsOf<O> = MapLeaves<O, Tensor, HostTensor>;

/** The tree of device tensors a resident run returns for a tree of tensors. */
export type DevicesOf<O> = MapLeaves<O, Tensor, DeviceTensor>;

/** The tree of feeds a compiled function takes for a tree of specs: host or device tensors. */
export type FeedsOf<S> = MapLeaves<TensorsOf<S>, Tensor, RunValue>;

/** A function from a tree of tensors to a tree of tensors: a model, a loss, a training step. */
export type TensorFn<S = Tree<TensorSpec>, O extends Tree<Tensor> = Tree<Tensor>> = (
  inputs: TensorsOf<S>,
) => O;

/** A traced function: its graph (inputs and outputs named by tree path) and the output tree's structure. */
export interface Traced {
  readonly graph: Graph;
  readonly inputStructure: Tree<TensorSpec>;
  readonly outputStructure: Tree<Tensor>;
}

const leafName = (path: string, fallback: string) => (path === "" ? fallback : path);

/**
 * Traces a pure function into a graph: calls it once on placeholders made from `specs` and
 * records what it builds. Two traces of the same function give structurally equal graphs.
 */
export const trace = <S extends Tree<TensorSpec>, O extends Tree<Tensor>>(
  fn: TensorFn<S, O>,
  specs: S,
): Traced => {
  const specLeaves = flattenTree(specs, isSpec);
  const layers = layerPaths(specLeaves.map((l) => l.path));
  const inputs = new Map(
    specLeaves.map(({ path, leaf }, i) => [
      path,
      withPath(input(leafName(path, "input"), leaf.shape, leaf.dtype ?? "float32"), layers[i]),
    ]),
  );
  const out = (fn as (i: unknown) => O)(unflattenTree(specs, isSpec, inputs));
  const outLeaves = flattenTree(out, isTensor);
  const graph = makeGraph(
    Object.fromEntries([...inputs].map(([p, n]) => [leafName(p, "input"), n])),
    Object.fromEntries(outLeaves.map(({ path, leaf }) => [leafName(path, "output"), leaf])),
  );
  return { graph, inputStructure: specs, outputStructure: out };
};

/**
 * How `compile` turns a graph into executables: the pipeline's options (stages to skip,
 * validation, the dump sink, a name for the dump files) and which list of stages runs.
 */
export interface CompileOptions extends PipelineOptions, StageChoice {}

/** The keys of {@link CompileOptions}: an unknown key is refused, not ignored. */
export const COMPILE_KEYS: OptionKeys<CompileOptions> = {
  disable: true,
  validate: true,
  sink: true,
  name: true,
  inPlace: true,
  epilogues: true,
  foldTransposes: true,
  optimize: true,
  stages: true,
};

/**
 * Binds the symbolic dims of a graph's inputs to the shapes of actual feeds (`{ N: 64 }`),
 * with a LoomError when a feed disagrees with a concrete dim or a symbol gets two values.
 */
export const bindSymbols = (
  g: Graph,
  shapes: Readonly<Record<string, readonly number[]>>,
): Record<string, number> => {
  // A Map, not an object: symbols are user strings and may be "toString" or "__proto__".
  const bindings = new Map<string, number>();
  for (const [name, n] of Object.entries(g.inputs)) {
    const s = ownValue(shapes, name);
    if (s === undefined)
      throw new Err(
        "missing_feed",
        "run",
        `no value fed for input "${name}" ${formatShape(n.shape)}`,
      );
    const bad = () =>
      new Err(
        "shape_mismatch",
        "run",
        `input "${name}" expects ${formatShape(n.shape)}, was fed ${formatShape(s)}`,
        [n.shape, s],
      );
    if (s.length !== n.shape.length) throw bad();
    n.shape.forEach((d, i) => {
      const v = s[i]!;
      if (typeof d === "number") {
        if (d !== v) throw bad();
      } else if (bindings.has(d) && bindings.get(d) !== v) {
        throw new Err(
          "shape_mismatch",
          "run",
          `symbol ${d} is ${bindings.get(d)} in one input and ${v} in "${name}"`,
          [n.shape, s],
        );
      } else bindings.set(d, v);
    });
  }
  return Object.fromEntries(bindings);
};

/** A compiled function: run it with a tree of host (or device) tensors, get a tree of host tensors. */
export interface Compiled<S = Tree<TensorSpec>, O = Tree<Tensor>> {
  readonly traced: Traced;
  /** Runs the function on host or device tensors (compiling for their shapes on first use) and reads every output back. */
  readonly run: (feeds: FeedsOf<S>) => Promise<HostsOf<O>>;
  /**
   * Runs the function and leaves every output on the backend's device: the caller owns the
   * returned device tensors (read what it needs with `read()`, `dispose()` the rest, e.g. the
   * previous step's parameters once the next step has been called). Feeds may be device
   * tensors of the same backend (`toDevice`), used without an upload.
   */
  readonly runResident: (feeds: FeedsOf<S>) => Promise<DevicesOf<O>>;
  /** Frees the executables this function compiled that no other compile shares. */
  readonly dispose: () => void;
}

/**
 * Compiles a graph (or traces and compiles a function) for a backend. Executables are built
 * on first use for each set of concrete input shapes and cached, so a batch size that varies
 * (a last partial batch) costs one more compile, not one per call.
 */
export const compile = <S extends Tree<TensorSpec>, O extends Tree<Tensor>>(
  backend: Backend,
  fn: TensorFn<S, O>,
  specs: S,
  opts: CompileOptions = {},
): Compiled<S, O> => {
  checkOptions("compile", opts, COMPILE_KEYS);
  const traced = trace(fn as (i: unknown) => O, specs as Tree<TensorSpec>);
  // Executables live in the backend's cache, shared between compiles of structurally equal
  // graphs (an evaluation step compiled twice compiles once), unless custom stages or a sink
  // make this compile's pipeline run differ; those keep a cache of their own.
  const shareable =
    opts.stages === undefined && opts.sink === undefined && backend.executables !== undefined;
  const cache = shareable ? backend.executables! : executableCache();
  const structure = `${graphKey(traced.graph)}|${JSON.stringify({ ...opts, name: undefined })}|`;
  const held = new Set<string>();
  const holder = {};
  /** The executable for a tree of feeds (compiled for their shapes on first use) and the feeds by input name. */
  const prepare = (feedTree: FeedsOf<S>) => {
    checkFeeds(flattenTree(traced.inputStructure, isSpec), feedTree);
    const feeds: Record<string, RunValue> = Object.fromEntries(
      flattenTree(feedTree as Tree<RunValue>, isRunValue).map(({ path, leaf }) => [
        leafName(path, "input"),
        leaf,
      ]),
    );
    const shapes = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.shape]));
    const key =
      structure +
      JSON.stringify(Object.keys(traced.graph.inputs).map((k) => ownValue(shapes, k) ?? null));
    const exe = cache.acquire(key, holder, () => {
      const optimize = opts.optimize ?? backend.name !== "reference";
      return backend.compile(
        planGraph(traced.graph, bindSymbols(traced.graph, shapes), {
          inPlace: backend.inPlace ?? true,
          ...opts,
          optimize,
        }),
      );
    });
    held.add(key);
    return { exe, feeds };
  };
  /** The outputs by name as the function's output tree. */
  const outputTree = <L>(out: Readonly<Record<string, L>>) =>
    unflattenTree(
      traced.outputStructure,
      isTensor,
      new Map(
        flattenTree(traced.outputStructure, isTensor).map(({ path }) => [
          path,
          out[leafName(path, "output")]!,
        ]),
      ),
    );
  const resident = (exe: Executable, feeds: Readonly<Record<string, RunValue>>) =>
    (exe.runResident ?? hostResidentRun(exe, backend.name))(feeds);
  const run = async (feedTree: FeedsOf<S>): Promise<HostsOf<O>> => {
    const { exe, feeds } = prepare(feedTree);
    // Device feeds go through the resident run; its outputs are read back and freed.
    const out = Object.values(feeds).some(isDeviceTensor)
      ? await readValues(await resident(exe, feeds))
      : await exe.run(feeds as Record<string, HostTensor>);
    return outputTree(out) as HostsOf<O>;
  };
  const runResident = async (feedTree: FeedsOf<S>): Promise<DevicesOf<O>> => {
    const { exe, feeds } = prepare(feedTree);
    return outputTree(await resident(exe, feeds)) as DevicesOf<O>;
  };
  return {
    traced,
    run,
    runResident,
    // Frees every executable this function compiled that no other live compile holds.
    dispose: () => {
      for (const k of held) cache.release(k, holder);
      held.clear();
    },
  };
};
