import type { Backend, HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Compiled, CompileOptions } from "./compile";
import { compile } from "./compile";
import { isTensor } from "./core";
import { isHostTensor } from "./host";
import type { Layer } from "./nn/layer";
import type { Tree } from "./pytree";
import { flattenTree } from "./pytree";
import { specsOf } from "./specs-of";
import type { OptionKeys } from "./api/options";
import { checkOptions } from "./api/options";
import { describeValue } from "./values";

/** Options of {@link predict}. */
export interface PredictOptions {
  /** The backend that runs the forward pass (the `@loom/loom` umbrella defaults to the CPU backend). */
  readonly backend?: Backend;
  /** Pipeline options of the compiled forward pass (validation, a dump sink); it is named "predict". */
  readonly pipeline?: CompileOptions;
}

const PREDICT_KEYS: OptionKeys<PredictOptions> = { backend: true, pipeline: true };

/**
 * A model's inference-mode forward pass on host data: call it with a batch, get the outputs.
 * `dispose()` frees the executables it compiled.
 */
export interface Predictor {
  (x: HostTensor): Promise<HostTensor>;
  /** Frees every executable this predictor compiled (WebGL textures included). */
  readonly dispose: () => void;
}

const checkHostTree = (what: string, tree: unknown): void => {
  if (
    isTensor(tree) ||
    flattenTree(tree as Tree<unknown>, isLeafLike).some((l) => isTensor(l.leaf))
  )
    throw new LoomError(
      "invalid_argument",
      "predict",
      `${what} holds graph tensors; predict takes host values (what initModel, fit or loadCheckpoint return). Inside a traced function, call model.apply instead`,
    );
};

const isLeafLike = (x: unknown): x is unknown => isHostTensor(x) || isTensor(x);

/**
 * Compiles and caches a model's forward pass (`apply` in inference mode) for host inputs: the
 * specs come from the values themselves (`params`, `state`, and each input's shape with its
 * first axis as the batch), so there is nothing to write. One compile serves every batch size
 * and an input of another example shape or dtype compiles once more.
 *
 * ```ts
 * const run = predict(model, params, state, { backend: cpuBackend() });
 * const logits = await run(hostTensor(pixels, [1, 1, 28, 28]));
 * ```
 */
export const predict = (
  model: Layer,
  params: Tree<HostTensor>,
  state: Tree<HostTensor> = {},
  opts: PredictOptions = {},
): Predictor => {
  checkOptions("predict", opts, PREDICT_KEYS);
  const { backend } = opts;
  if (backend === undefined)
    throw new LoomError(
      "invalid_argument",
      "predict",
      "no backend: pass { backend: cpuBackend() } (or use @loom/loom's predict, which defaults to the CPU backend)",
    );
  if (typeof model !== "object" || model === null || typeof model.apply !== "function")
    throw new LoomError(
      "invalid_argument",
      "predict",
      `expects a layer ({ init, apply }), got ${describeValue(model)}${typeof model === "function" ? " (a layer factory? call it: nn.relu(), not nn.relu)" : ""}`,
    );
  checkHostTree("params", params);
  checkHostTree("state", state);
  const paramSpecs = specsOf(params);
  const stateSpecs = specsOf(state);
  // One compiled forward pass per example shape and dtype; within one, the batch is the symbol N.
  const compiled = new Map<string, Compiled>();
  const forward = (x: HostTensor): Compiled => {
    const spec = { shape: x.shape.length === 0 ? [] : ["N", ...x.shape.slice(1)], dtype: x.dtype };
    const k = JSON.stringify(spec);
    let f = compiled.get(k);
    if (f === undefined) {
      f = compile(
        backend,
        (io) => model.apply(io.params, io.state, io.x, { training: false }).y,
        { params: paramSpecs, state: stateSpecs, x: spec },
        { name: "predict", ...opts.pipeline },
      ) as unknown as Compiled;
      compiled.set(k, f);
    }
    return f;
  };
  const run = async (x: HostTensor): Promise<HostTensor> => {
    if (!isHostTensor(x))
      throw new LoomError(
        "invalid_argument",
        "predict",
        isTensor(x)
          ? "the input is a graph tensor; predict takes host data: hostTensor(values, shape)"
          : `the input is ${describeValue(x)}; give a host tensor: hostTensor(values, shape)`,
      );
    return (await forward(x).run({ params, state, x } as never)) as unknown as HostTensor;
  };
  return Object.assign(run, {
    dispose: () => {
      for (const f of compiled.values()) f.dispose();
      compiled.clear();
    },
  });
};
